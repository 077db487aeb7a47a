"""Writing: the one post form (new thread or reply), and deleting one's own posts."""

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from leftbook.posting import gate, identity, owndelete, posts
from leftbook.posting.uploads import Upload
from leftbook.refusal import Refusal
from leftbook.web import reader
from leftbook.web.cookies import PASSWORD_COOKIE, POSTER_COOKIE, cookie_options
from leftbook.web.errors import refusal_response
from leftbook.web.forms import DeleteForm, PostForm, first_error
from leftbook.web.gate import keep_new_pass, pass_cookie
from leftbook.web.http import (
    done_with_selection,
    numbered,
    selected_files,
    selected_posts,
    wants_json,
)
from leftbook.web.refused import refused_post_page
from leftbook.web.site import boards, gate_policy, get_board, posting_site, secrets, store
from leftbook.web.templating import filesize

blueprint = Blueprint("posting", __name__)

PASSWORD_COOKIE_AGE = 30 * 86400


@blueprint.errorhandler(Refusal)
def refused(refusal: Refusal):
    """A refused post: the form again, filled, for people; the one handler for clients."""
    board = boards().get((request.view_args or {}).get("board", ""))
    if request.endpoint != "posting.create" or board is None or wants_json():
        return refusal_response(refusal)
    return refused_post_page(board, refusal)


@blueprint.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):
    """Past the hard cap on a request: the form could not be read, so say what the limits are."""
    board = boards().get((request.view_args or {}).get("board", ""))
    message = "What you sent is larger than this site takes in one post."
    if board is not None:
        message += (f" Files may be at most {filesize(board.largest_file)} each on "
                    f"/{board.slug}/, {filesize(board.post_bytes)} together.")
    refusal = Refusal(message + " Go back: your text is still in the form there.", 413)
    if board is None or wants_json():
        return refusal_response(refusal)
    return refused_post_page(board, refusal, form_read=False)


def _read_form(form: PostForm, poster_token: str, password: str) -> posts.PostInput:
    files = tuple(Upload(upload.read(), upload.filename) for upload in form.file.data or ()
                  if upload and upload.filename != "")
    return posts.PostInput(
        thread_no=form.thread.data, name=form.name.data or "", options=form.options.data or "",
        subject=form.subject.data or "", body=form.body.data or "", password=password,
        spoiler=bool(form.spoiler.data), files=files, poster_token=poster_token,
        event_start=form.event_start.data or "", event_end=form.event_end.data or "",
        event_place=form.event_place.data or "", event_link=form.event_link.data or "",
        confirm_personal=bool(form.confirm_personal.data),
    )


def _poster_token() -> str:
    """The browser's poster token, or a new one (a new token has no history)."""
    token = request.cookies.get(POSTER_COOKIE, "")
    return token if identity.is_poster_token(token) else identity.new_poster_token()


@blueprint.post("/<board>/post")
def create(board: str):
    b = get_board(board)
    form = PostForm()
    if not form.validate():
        raise Refusal(first_error(form))
    poster_token = _poster_token()
    password = form.password.data or request.cookies.get(PASSWORD_COOKIE) or (
        identity.new_site_password(secrets().secret_key))
    policy = gate_policy()
    ticket = gate.let_in(b, form.thread.data is None, pass_cookie(),
                         (form.captcha_challenge.data or "", form.captcha_answer.data or ""),
                         policy)
    keep_new_pass(ticket)
    guard = gate.screen(b, form.thread.data, form.body.data or "", poster_token, ticket, policy)
    thread_no, no = posts.create_post(b, _read_form(form, poster_token, password),
                                      posting_site(), boards(), guard=guard,
                                      file_refused=guard.file_refused)
    if wants_json():
        response = jsonify(thread=thread_no, no=no)
    else:
        response = redirect(url_for("boards.thread", board=b.slug, no=thread_no,
                                    _anchor=f"p{no}"), 303)
    reader.remember_own_post(response, b.slug, no)
    response.set_cookie(POSTER_COOKIE, poster_token, **cookie_options())
    response.set_cookie(PASSWORD_COOKIE, password, **cookie_options(PASSWORD_COOKIE_AGE))
    return response


@blueprint.post("/<board>/delete")
def delete(board: str):
    b = get_board(board)
    form = DeleteForm()
    if not form.validate():
        abort(400, first_error(form))
    numbers, files = selected_posts(), selected_files()
    count = owndelete.delete_with_password(
        b, numbers, form.password.data or request.cookies.get(PASSWORD_COOKIE, ""),
        file_only=bool(form.file_only.data), store=store(),
        poster_token=request.cookies.get(POSTER_COOKIE), secret=secrets().secret_key,
        files=files)
    what = "the files of " if form.file_only.data else ""
    parts = [f"{what}{numbered(numbers)}"] if numbers else []
    if files:
        parts.append(f"{len(files)} file{'s' if len(files) > 1 else ''} of "
                     f"{numbered([no for no, _ in files])}")
    return done_with_selection(b.slug, f"Deleted {' and '.join(parts)}.", deleted=count)
