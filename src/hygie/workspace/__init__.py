"""A project's workspace on disk: its extracts, its members' files, its jobs (no Django here).

`layout` says where things are, `provision` turns an authorisation into an extract, `client` is
what members open from Python, `jobs` runs their scripts confined to the workspace.
"""
