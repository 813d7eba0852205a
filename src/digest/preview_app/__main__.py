"""`python -m digest.preview_app [SOURCE ...] [--port N] [--host H]`: the preview server alone."""

from digest.preview_app.cli import serve_command

if __name__ == "__main__":
    serve_command(prog_name="python -m digest.preview_app")
