"""The dependency and effect model of async code, as libcst metadata providers."""
