"""Drop-in compatibility with older AJAX packages' wire formats.

Each subpackage is a profile (how results and errors look) plus the
package's own entry points, over the same core pipeline.
"""
