"""The airlock's release requests and their review (issue 14): what leaves a workspace.

`review` holds the rules (who may review, what a round's reviews decide), `flow` the steps (a
request, its files replaced, a review, a download, a result published), `storage` the copies of
the files under HYGIE_AIRLOCK; the automatic checks are the core's (`hygie.airlock`).
"""
