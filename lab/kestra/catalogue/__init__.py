"""Kestra's plugin catalogue: every type a flow can name, in Kestra core and the official plugins.

`build` generates `data/catalogue.json` from the plugins' public Java sources (run by hand when
the catalogue is refreshed); `reader` loads it, on first use only, for the commands that check
flows; `checks` validates a flow's values against it at any depth.
"""
