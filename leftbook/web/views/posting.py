"""Writing: the one post form (new thread or reply), and deleting one's own posts."""

from flask import Blueprint, abort, jsonify, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from leftbook.posting import gate, identity, owndelete, posts
from leftbook.refusal import Refusal
from leftbook.web.cookies import PASSWORD_COOKIE, POSTER_COOKIE, cookie_options
from leftbook.web.errors import refusal_response
from leftbook.web.forms import DeleteForm, PostForm, first_error
from leftbook.web.gate import keep_new_pass, pass_cookie
from leftbook.web.http import done_with_selection, numbered, selected_posts, wants_json
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
        message += f" Files may be at most {filesize(board.max_file_bytes)} each on /{board.slug}/."
    refusal = Refusal(message + " Go back: your text is still in the form there.", 413)
    if board is None or wants_json():
        return refusal_response(refusal)
    return refused_post_page(board, refusal, form_read=False)


def _read_form(form: PostForm, poster_token: str, password: str) -> posts.PostInput:
    upload = form.file.data
    data = upload.read() if upload else None
    return posts.PostInput(
        thread_no=form.thread.data, name=form.name.data or "", options=form.options.data or "",
        subject=form.subject.data or "", body=form.body.data or "", password=password,
        spoiler=bool(form.spoiler.data), file_data=data or None,
        filename=upload.filename if upload else None, poster_token=poster_token,
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
    response.set_cookie(POSTER_COOKIE, poster_token, **cookie_options())
    response.set_cookie(PASSWORD_COOKIE, password, **cookie_options(PASSWORD_COOKIE_AGE))
    return response


@blueprint.post("/<board>/delete")
def delete(board: str):
    b = get_board(board)
    form = DeleteForm()
    if not form.validate():
        abort(400, first_error(form))
    numbers = selected_posts()
    count = owndelete.delete_with_password(
        b, numbers, form.password.data or request.cookies.get(PASSWORD_COOKIE, ""),
        file_only=bool(form.file_only.data), store=store(),
        poster_token=request.cookies.get(POSTER_COOKIE), secret=secrets().secret_key)
    what = "the file of " if form.file_only.data else ""
    return done_with_selection(b.slug, f"Deleted {what}{numbered(numbers)}.", deleted=count)
