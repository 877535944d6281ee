"""Kestra's flow unit tests (TestSuite, `io.kestra.core.tests.flow.UnitTest`) on the embedded
engine: `model` reads the YAML, `assertions` judges a case as Kestra's Assertion does, `runner`
runs suites into Kestra's TestSuiteRunResult, `cli` is `walab kestra-test`, `items` the pytest
collection `walab test` uses."""
