"""FastAPI habits that cannot work under ajaxkit fail with an error saying what to do."""

from __future__ import annotations

import json
import warnings
from typing import Annotated, Any

import pytest
from fastapi import (
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Response,
    UploadFile,
)
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.background import BackgroundTask

import ajaxkit.core.platform
import ajaxkit.fastapi
from ajaxkit import Ajax, AjaxRequest, Conflict
from ajaxkit.exceptions import ConfigurationWarning, RegistrationError

pytestmark = pytest.mark.fastapi


def current_user() -> str:
    return "ada"


def test_include_router_says_to_mount() -> None:
    app = FastAPI()
    with pytest.raises(AttributeError, match=r'not an APIRouter.*app\.mount\("/ajax"'):
        app.include_router(ajaxkit.fastapi.app(Ajax()))  # type: ignore[arg-type]


def test_the_app_still_answers_attribute_probes() -> None:
    # hasattr() and getattr(..., default) keep working: the error is an AttributeError.
    ajax_app = ajaxkit.fastapi.app(Ajax())
    assert not hasattr(ajax_app, "routes")
    assert getattr(ajax_app, "routes", []) == []


def test_depends_default_is_refused_at_registration() -> None:
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"me \(me\)'.*parameter 'user'.*Depends"):

        @api.endpoint
        def me(request: AjaxRequest, user: str = Depends(current_user)) -> str:
            return user


def test_depends_registered_before_ajaxkit_fastapi_was_imported_is_refused_at_mount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if ajaxkit.fastapi had not been imported yet when the endpoint was registered.
    declared = {k: v for k, v in ajaxkit.core.platform._DECLARED.items() if k != "fastapi"}
    monkeypatch.setattr(ajaxkit.core.platform, "_DECLARED", declared)
    api = Ajax()

    @api.endpoint
    def me(request: AjaxRequest, user: str = Depends(current_user)) -> str:
        return user

    monkeypatch.undo()
    with pytest.raises(RegistrationError, match=r"me \(me\)'.*parameter 'user'.*Depends"):
        ajaxkit.fastapi.app(api)
    with pytest.raises(RegistrationError, match=r"me \(me\)'.*parameter 'user'.*Depends"):
        ajaxkit.fastapi.mount("/ajax", api)


def test_upload_file_registered_before_ajaxkit_fastapi_was_imported_is_refused_at_mount(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # FastAPI's UploadFile validates as a type of its own: every upload was a 422.
    declared = ajaxkit.core.platform._DECLARED.items()
    unaware = {k: v for k, v in declared if k not in ("fastapi", "starlette")}
    monkeypatch.setattr(ajaxkit.core.platform, "_DECLARED", unaware)
    api = Ajax()

    @api.endpoint("photos", methods=["POST"])
    def photos(request: AjaxRequest, photo: UploadFile) -> None: ...

    monkeypatch.undo()
    with pytest.raises(RegistrationError, match=r"parameter 'photo'.*ajaxkit\.UploadedFile"):
        ajaxkit.fastapi.app(api)


def test_depends_in_annotated_is_refused_at_registration() -> None:
    # FastAPI's documented form: without the check, ?user=... would fill it.
    api = Ajax()
    with pytest.raises(RegistrationError, match=r"me \(me\)'.*parameter 'user'.*Depends"):

        @api.endpoint
        def me(request: AjaxRequest, user: Annotated[str, Depends(current_user)]) -> str:
            return user


#: FastAPI's markers for values read from elsewhere than the query or body.
HEADER_TEAM = Annotated[str, Header()]
COOKIE_TEAM = Annotated[str, Cookie()]


def _by_annotation(annotation: Any) -> Any:
    def team(request: AjaxRequest, x_team: str) -> str:
        return x_team

    team.__annotations__["x_team"] = annotation
    return team


def _by_default(marker: Any) -> Any:
    def team(request: AjaxRequest, x_team: str = marker) -> str:
        return x_team

    return team


@pytest.mark.parametrize(
    ("handler", "where"),
    [
        (_by_annotation(HEADER_TEAM), r"request\.headers"),
        (_by_default(Header()), r"request\.headers"),
        (_by_annotation(COOKIE_TEAM), r"request\.cookies"),
        (_by_default(Cookie()), r"request\.cookies"),
    ],
    ids=["Annotated-Header", "default-Header", "Annotated-Cookie", "default-Cookie"],
)
def test_header_and_cookie_markers_are_refused(handler: Any, where: str) -> None:
    # ajaxkit binds from the query or body by name: the client would choose the value.
    with pytest.raises(RegistrationError, match=rf"team \(team\)'.*parameter 'x_team'.*{where}"):
        Ajax().endpoint(handler)


def test_a_structured_http_exception_detail_is_json_text() -> None:
    # FastAPI lets detail be any JSON value; its str() was a Python repr
    # ({'field': 'title'}) that no page could parse.
    api = Ajax()

    @api.endpoint("notes", methods=["GET"])
    def notes(request: AjaxRequest) -> None:
        raise HTTPException(409, detail={"field": "title", "taken": True, "by": None})

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    body = TestClient(app).get("/ajax/notes").json()
    assert body["code"] == "conflict"
    assert json.loads(body["detail"]) == {"field": "title", "taken": True, "by": None}


class Note(BaseModel):
    title: str


def _embedded_note_app() -> TestClient:
    api = Ajax()

    @api.endpoint("notes", methods=["POST"])
    def add(note: Annotated[Note, Body(embed=True)]) -> dict[str, str]:
        return {"title": note.title}

    @api.endpoint("notes/default", methods=["POST"])
    def add_with_default(note: Note = Body(embed=True)) -> dict[str, str]:
        return {"title": note.title}

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    return TestClient(app, headers={"Sec-Fetch-Site": "same-origin"})


@pytest.mark.parametrize("path", ["/ajax/notes", "/ajax/notes/default"])
def test_body_embed_takes_the_model_from_its_member(path: str) -> None:
    # Body(embed=True): the body is {"note": {...}}, as in FastAPI, not the note itself.
    client = _embedded_note_app()
    response = client.post(path, json={"note": {"title": "Milk"}})
    assert (response.status_code, response.json()) == (200, {"title": "Milk"})
    [error] = client.post(path, json={"title": "Milk"}).json()["errors"]
    assert (error["pointer"], error["code"]) == ("#/note", "missing")
    assert '{"note": {...}}' in error["detail"]


def test_a_model_beside_other_parameters_is_asked_for_as_a_member() -> None:
    # FastAPI reads item from the body and notify from the query; ajaxkit
    # reads both from the body, so the item is the member "item" there.
    api = Ajax()

    @api.endpoint("notes", methods=["POST"])
    def add(note: Note, notify: bool = False) -> dict[str, Any]:
        return {"title": note.title, "notify": notify}

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    client = TestClient(app, headers={"Sec-Fetch-Site": "same-origin"})
    [error] = client.post("/ajax/notes?notify=true", json={"title": "Milk"}).json()["errors"]
    assert (error["pointer"], error["code"]) == ("#/note", "missing")
    assert '{"note": {...}}' in error["detail"]
    assert "lone model parameter" in error["detail"]
    sent = client.post("/ajax/notes", json={"note": {"title": "Milk"}, "notify": True})
    assert sent.json() == {"title": "Milk", "notify": True}


@pytest.mark.parametrize("annotation", [dict, dict[str, Any]])
def test_a_lone_dict_parameter_missing_from_the_body_says_it_is_a_member(
    annotation: Any,
) -> None:
    # FastAPI gives a lone `data: dict` the whole JSON body; here it is the
    # member "data" of the body, and the 422 said only "Field required".
    api = Ajax()

    def save(data: Any) -> dict[str, Any]:
        return {"got": data}

    save.__annotations__["data"] = annotation
    api.endpoint("save", methods=["POST"])(save)
    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    client = TestClient(app, headers={"Sec-Fetch-Site": "same-origin"})
    [error] = client.post("/ajax/save", json={"title": "Milk"}).json()["errors"]
    assert (error["pointer"], error["code"]) == ("#/data", "missing")
    assert '{"data": {...}}' in error["detail"]
    assert "pydantic model" in error["detail"]
    sent = client.post("/ajax/save", json={"data": {"title": "Milk"}})
    assert sent.json() == {"got": {"title": "Milk"}}


def test_a_response_parameter_says_how_to_set_headers_and_cookies() -> None:
    # FastAPI's habit: take response: Response and set a cookie on it.
    api = Ajax()
    with pytest.raises(RegistrationError) as info:

        @api.endpoint("login", methods=["POST"])
        def login(request: AjaxRequest, response: Response) -> dict[str, bool]:
            response.set_cookie("seen", "1")
            return {"ok": True}

    message = str(info.value)
    assert "login (login)'" in message and "parameter 'response'" in message
    assert "(body, status, headers)" in message and "return" in message


def test_a_background_tasks_parameter_says_how_to_run_work_after_the_answer() -> None:
    # FastAPI's habit: take background_tasks: BackgroundTasks and add to it.
    # pydantic's error for the type said to use a type it can validate.
    api = Ajax()
    with pytest.raises(RegistrationError) as info:

        @api.endpoint("signup", methods=["POST"])
        def signup(request: AjaxRequest, email: str, background_tasks: BackgroundTasks) -> None:
            background_tasks.add_task(print, email)

    message = str(info.value)
    assert "signup (signup)'" in message and "parameter 'background_tasks'" in message
    assert "background=BackgroundTask(" in message
    assert "pydantic" not in message


def test_a_response_carrying_background_work_runs_it_after_the_answer() -> None:
    # What the refusal above advises.
    api = Ajax()
    done: list[str] = []

    @api.endpoint("signup", methods=["POST"], csrf_exempt=True)
    def signup(request: AjaxRequest, email: str) -> JSONResponse:
        return JSONResponse({"ok": True}, background=BackgroundTask(done.append, email))

    app = FastAPI()
    app.mount("/ajax", ajaxkit.fastapi.app(api))
    assert TestClient(app).post("/ajax/signup", json={"email": "a@b"}).json() == {"ok": True}
    assert done == ["a@b"]


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "Out of stock"
    detail = "That item is sold out."


def test_the_apps_exception_handlers_do_not_answer_below_the_mount() -> None:
    # docs/fastapi.md "Errors": every error below the mount is a problem.
    api = Ajax()

    @api.endpoint("teapot")
    def teapot(request: AjaxRequest) -> None:
        raise HTTPException(418, detail="short and stout")

    @api.endpoint("orders")
    def order(request: AjaxRequest) -> None:
        raise OutOfStock()

    app = FastAPI()

    @app.exception_handler(HTTPException)
    async def plain(request: Any, exc: Any) -> PlainTextResponse:
        return PlainTextResponse("the app's own", status_code=exc.status_code)

    app.mount("/ajax", ajaxkit.fastapi.app(api))
    client = TestClient(app)
    answer = client.get("/ajax/teapot")
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "short and stout"
    answer = client.get("/ajax/orders")
    assert (answer.status_code, answer.json()["code"]) == (409, "out_of_stock")
    assert answer.json()["title"] == "Out of stock"


def _require_key(request: Any) -> None:
    """An app-wide API-key check, as FastAPI(dependencies=[...]) runs it."""
    raise HTTPException(401, "Send X-Key.")


def test_app_wide_dependencies_that_skip_the_mount_are_warned_of() -> None:
    # FastAPI runs them for its path operations only, never for a mounted
    # app: the mount's endpoints answered as though the check had passed.
    api = Ajax()
    app = FastAPI(dependencies=[Depends(_require_key)])
    with pytest.warns(ConfigurationWarning, match=r"_require_key.*do not run for.*/ajax"):
        app.router.routes.append(ajaxkit.fastapi.mount("/ajax", api, app=app))
    with pytest.warns(ConfigurationWarning, match=r"_require_key.*do not run for.*/ajax"):
        ajaxkit.fastapi.front(api, app)


def test_an_app_without_dependencies_mounts_without_a_warning() -> None:
    app = FastAPI()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.router.routes.append(ajaxkit.fastapi.mount("/ajax", Ajax(), app=app))
