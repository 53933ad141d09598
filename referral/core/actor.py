"""The actor of the current request, as ``policies`` sees it.

The core does not know how users authenticate: the accounts feature installs the loader
(:func:`install`) when the app is built.  Until then, and for anonymous requests, the
actor is :meth:`Actor.anonymous`.  The actor is built once per request and kept on
``flask.g``; code that changes who is logged in calls :func:`forget`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g

from policies.actor import Actor

ActorLoader = Callable[[], Actor]
_EXTENSION = "referral.actor_loader"


def install(app: Flask, loader: ActorLoader) -> None:
    """Make ``loader`` the way this app finds the actor of a request."""
    app.extensions[_EXTENSION] = loader


def current_actor() -> Actor:
    if "actor" not in g:
        loader: ActorLoader | None = current_app.extensions.get(_EXTENSION)
        g.actor = loader() if loader is not None else Actor.anonymous()
    actor: Actor = g.actor
    return actor


def forget() -> None:
    """The request's user changed (a new session): build the actor again on next use."""
    g.pop("actor", None)
