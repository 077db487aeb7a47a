"""Writing: the one post form (new thread or reply)."""

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for

from leftbook import identity, owndelete, posts
from leftbook.forms import DeleteForm, PostForm, first_error
from leftbook.views import captcha as posting_gate
from leftbook.views.common import (
    PASSWORD_COOKIE,
    POSTER_COOKIE,
    cookie_options,
    done_with_selection,
    get_board,
    selected_posts,
    wants_json,
)

blueprint = Blueprint("posting", __name__)

PASSWORD_COOKIE_AGE = 30 * 86400


def site_secrets() -> posts.SiteSecrets:
    config = current_app.config
    return posts.SiteSecrets(
        tripcode_secret=config["TRIPCODE_SECRET"],
        files_dir=Path(config["FILES_DIR"]),
        keep_filenames=config["LEFTBOOK_KEEP_FILENAMES"] == "on",
    )


def _read_form(form: PostForm, poster_token: str, password: str) -> posts.PostInput:
    upload = form.file.data
    data = upload.read() if upload else None
    return posts.PostInput(
        thread_no=form.thread.data, name=form.name.data or "", options=form.options.data or "",
        subject=form.subject.data or "", body=form.body.data or "", password=password,
        spoiler=bool(form.spoiler.data), file_data=data or None,
        filename=upload.filename if upload else None, poster_token=poster_token,
    )


@blueprint.post("/<board>/post")
def create(board: str):
    b = get_board(board)
    form = PostForm()
    if not form.validate():
        abort(400, first_error(form))
    poster_token = request.cookies.get(POSTER_COOKIE, "")
    if not identity.is_poster_token(poster_token):
        poster_token = identity.new_poster_token()
    password = form.password.data or request.cookies.get(PASSWORD_COOKIE) or (
        identity.new_poster_token()
    )
    try:
        guard = posting_gate.posting_guard(
            b, form.thread.data, form.body.data or "", poster_token,
            (form.captcha_challenge.data or "", form.captcha_answer.data or ""))
        thread_no, no = posts.create_post(
            b, _read_form(form, poster_token, password), site_secrets(),
            current_app.config["BOARDS"], guard=guard,
        )
    except posts.PostError as exc:
        abort(exc.status, exc.message)
    except posting_gate.REFUSALS as exc:
        return posting_gate.refusal(exc)
    if wants_json():
        response = jsonify(thread=thread_no, no=no)
    else:
        target = url_for("boards.thread", board=b.slug, no=thread_no, _anchor=f"p{no}")
        response = redirect(target, 303)
    response.set_cookie(POSTER_COOKIE, poster_token, **cookie_options())
    response.set_cookie(PASSWORD_COOKIE, password, **cookie_options(PASSWORD_COOKIE_AGE))
    return response


@blueprint.post("/<board>/delete")
def delete(board: str):
    b = get_board(board)
    form = DeleteForm()
    if not form.validate():
        abort(400, first_error(form))
    try:
        count = owndelete.delete_with_password(
            b, selected_posts(), form.password.data or "", file_only=bool(form.file_only.data),
            files_dir=Path(current_app.config["FILES_DIR"]),
        )
    except posts.PostError as exc:
        abort(exc.status, exc.message)
    return done_with_selection(b.slug, deleted=count)
