"""Tests for nnlib.pictures; the SVG namespace and an XML parse shared by the SVG tests."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg):
    """Parse as XML (fails on unescaped text) and return the root element."""
    return ET.fromstring(svg)
