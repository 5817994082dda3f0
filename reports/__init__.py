"""Reports of a conformance run: Allure HTML, the conformance report, nightly history."""
