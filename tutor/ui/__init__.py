"""The web tutor: build_app(settings) → Gradio Blocks, and serve() to run it."""
