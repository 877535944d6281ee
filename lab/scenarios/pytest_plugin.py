"""walab's pytest plugin: collects scenarios/**/*.yaml as tests. Cheap to import; never imports Textual."""
