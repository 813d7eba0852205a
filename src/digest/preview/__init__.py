"""The editor's preview: what an edition will look like, before anything is sent.

``files.preview_digest`` writes the email and its data to a folder (`digest preview`);
``server.serve_preview`` serves the whole digest on one local page (`digest preview --serve`),
built by ``build`` and laid out by ``page``. Import the module you need: this package imports
nothing by itself, so `digest preview` without ``--serve`` never loads the server.
"""
