"""Workspace pages: the switcher, members and invitations, the activity log.

Routes naming a workspace state their permission with
:func:`uxlab.web.access.requires`: a workspace the researcher is not in is "not
found" (404), and only owners manage members (403 for anyone else). The invite
link (``/join/<token>``) is the one route open before logging in, so a
colleague without an account can create one for the invited address.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlmodel import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from uxlab import mail, workspaces
from uxlab.accounts import MIN_PASSWORD_LENGTH, create_researcher
from uxlab.db import get_session
from uxlab.errors import UxlabError
from uxlab.models import Researcher, Workspace, WorkspaceRole
from uxlab.web.access import current_workspace, requires, switch_workspace
from uxlab.web.auth import current_researcher_id, sign_in
from uxlab.web.links import public_url
from uxlab.workspaces import Permission

__all__ = ["bp"]

bp = Blueprint("workspaces", __name__)

_ROLES = [SelectChoice(r.value, r.value.capitalize()) for r in WorkspaceRole]


class InviteForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        "Colleague's email",
        [DataRequired(), Length(max=254)],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )
    role = SelectField("Role", choices=_ROLES, default="editor")


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField("Role", choices=_ROLES)


class NewWorkspaceForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Name",
        [DataRequired(), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )


class JoinForm(FlaskForm):  # type: ignore[misc]
    """Accepting an invite while logged in: only the CSRF token."""


class NewAccountForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Your name (optional)", [Length(max=200)])
    password = PasswordField(
        "Choose a password",
        [
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=f"At least {MIN_PASSWORD_LENGTH} characters.",
            ),
        ],
    )
    confirm = PasswordField(
        "Password again",
        [DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


# ------------------------------------------------------------------ helpers


def _workspace() -> Workspace:
    """The route's workspace, found and checked by :func:`requires`."""
    workspace: Workspace = g.workspace
    return workspace


def _to_members(workspace: Workspace) -> WerkzeugResponse:
    return redirect(url_for("workspaces.members", workspace=workspace.slug), 303)


def _invite_url(token: str) -> str:
    return public_url(url_for("workspaces.join", token=token))


def _render_members(
    workspace: Workspace,
    *,
    form: InviteForm | None = None,
    new_link: str | None = None,
    mailed: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    db = get_session()
    manage = workspaces.allows(g.role, Permission.manage)
    page = render_template(
        "workspaces/members.html",
        workspace=workspace,
        role=g.role,
        manage=manage,
        members=workspaces.members(db, workspace),
        invites=workspaces.pending_invites(db, workspace) if manage else [],
        form=form or InviteForm(formdata=None),
        role_form=RoleForm(formdata=None),
        new_link=new_link,
        mailed=mailed,
        me=current_researcher_id(),
        roles=[r.value for r in WorkspaceRole],
        ttl_days=workspaces.INVITE_TTL_DAYS,
    )
    return page, status


# -------------------------------------------------------------------- pages


@bp.route("/workspaces")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def index() -> str:
    """The workspaces the researcher belongs to, and a form for a new one."""
    rows = workspaces.workspaces_of(get_session(), current_researcher_id())
    return render_template(
        "workspaces/index.html",
        rows=rows,
        current=current_workspace()[0],
        form=NewWorkspaceForm(formdata=None),
    )


@bp.route("/workspaces/new", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def create() -> WerkzeugResponse | tuple[str, int]:
    """Create a shared workspace owned by the researcher, and switch to it."""
    form = NewWorkspaceForm()
    if form.validate_on_submit():
        workspace = workspaces.create_workspace(
            get_session(), form.name.data or "", owner_email=current_user.email
        )
        switch_workspace(workspace.slug)
        flash(f"Created workspace “{workspace.name}”. Invite colleagues below.", "info")
        return _to_members(workspace)
    flash("Give the workspace a name of up to 200 characters.", "error")
    rows = workspaces.workspaces_of(get_session(), current_researcher_id())
    page = render_template(
        "workspaces/index.html", rows=rows, current=current_workspace()[0], form=form
    )
    return page, 400


@bp.route("/workspaces/switch", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def switch() -> WerkzeugResponse:
    """Make another of the researcher's workspaces the current one."""
    workspace = switch_workspace(request.form.get("workspace", ""))
    flash(f"Now in workspace “{workspace.name}”.", "info")
    back = request.form.get("next", "")
    # Study pages stay put (their role comes from their own workspace); lists
    # and forms show the new workspace.
    if back in ("/compare", "/plan", "/workspaces"):
        return redirect(back, 303)
    return redirect(url_for("researcher.index"), 303)


@bp.route("/workspaces/<workspace>/members")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def members(workspace: str) -> tuple[str, int]:
    """The workspace's members; owners also invite, change roles and remove."""
    return _render_members(_workspace())


@bp.route("/workspaces/<workspace>/invites", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def invite(workspace: str) -> tuple[str, int]:
    """Invite a colleague by email: a one-time link, shown once (and mailed)."""
    found = _workspace()
    form = InviteForm()
    if not form.validate_on_submit():
        flash("No invite made; see the form below.", "error")
        return _render_members(found, form=form, status=400)
    db = get_session()
    try:
        _, token = workspaces.invite_member(
            db,
            found,
            form.email.data or "",
            WorkspaceRole(form.role.data),
            by=current_researcher_id(),
        )
    except UxlabError as exc:
        flash(f"No invite made: {exc}.", "error")
        return _render_members(found, form=form, status=exc.status)
    link = _invite_url(token)
    mailed = None
    smtp_url = current_app.config.get("SMTP_URL")
    if smtp_url:
        try:
            mail.send_invite(
                str(smtp_url),
                to=form.email.data or "",
                workspace=found.name,
                role=form.role.data,
                inviter=current_user.email,
                link=link,
            )
        except mail.MailError as exc:
            flash(f"The invite is made, but mailing it failed: {exc}.", "error")
        else:
            mailed = form.email.data
    flash(
        f"Invited {form.email.data} as {form.role.data}. Copy the link below: it "
        f"works once, for {workspaces.INVITE_TTL_DAYS} days, and is not shown again.",
        "info",
    )
    return _render_members(found, new_link=link, mailed=mailed)


@bp.route("/workspaces/<workspace>/invites/<int:invite_id>/revoke", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def revoke_invite(workspace: str, invite_id: int) -> WerkzeugResponse:
    """Stop a pending invite link from working."""
    found = _workspace()
    invite = workspaces.revoke_invite(
        get_session(), found, invite_id, by=current_researcher_id()
    )
    flash(f"The invite for {invite.email} no longer works.", "info")
    return _to_members(found)


@bp.route("/workspaces/<workspace>/members/<int:member_id>/role", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def change_role(workspace: str, member_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Give a member another role (never leaving the workspace without an owner)."""
    found = _workspace()
    form = RoleForm()
    if not form.validate_on_submit():
        flash(f"Choose a role: {', '.join(r.value for r in WorkspaceRole)}.", "error")
        return _render_members(found, status=400)
    try:
        workspaces.change_role(
            get_session(),
            found,
            member_id,
            WorkspaceRole(form.role.data),
            by=current_researcher_id(),
        )
    except workspaces.MembershipError as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return _render_members(found, status=exc.status)
    flash(f"The member is now {form.role.data}.", "info")
    return _to_members(found)


@bp.route("/workspaces/<workspace>/members/<int:member_id>/remove", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def remove_member(workspace: str, member_id: int) -> WerkzeugResponse | tuple[str, int]:
    """Take a member out of the workspace (never the last owner)."""
    found = _workspace()
    try:
        workspaces.remove_member(
            get_session(), found, member_id, by=current_researcher_id()
        )
    except workspaces.MembershipError as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return _render_members(found, status=exc.status)
    flash("The member was removed from the workspace.", "info")
    return _to_members(found)


@bp.route("/workspaces/<workspace>/leave", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.view)
def leave(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Leave the workspace (the last owner cannot)."""
    found = _workspace()
    me = current_researcher_id()
    try:
        workspaces.remove_member(get_session(), found, me, by=me)
    except workspaces.MembershipError as exc:
        flash(f"You are still in the workspace: {exc}.", "error")
        return _render_members(found, status=exc.status)
    flash(f"You left workspace “{found.name}”.", "info")
    return redirect(url_for("researcher.index"), 303)


@bp.route("/workspaces/<workspace>/activity")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def activity(workspace: str) -> str:
    """Who published, closed, deleted, excluded, exported, invited ..., and when."""
    found = _workspace()
    rows = workspaces.activity(get_session(), found)
    return render_template("workspaces/activity.html", workspace=found, rows=rows)


@bp.route("/workspaces/<workspace>/export.json")
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def export_json(workspace: str) -> Response:
    """The workspace as JSON: members, studies, invites and activity log."""
    found = _workspace()
    response = jsonify(workspaces.export_workspace(get_session(), found))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="workspace-{found.slug}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/workspaces/<workspace>/delete", methods=["POST"])
@login_required  # type: ignore[untyped-decorator]
@requires(Permission.manage)
def delete(workspace: str) -> WerkzeugResponse | tuple[str, int]:
    """Delete a shared workspace that holds no studies."""
    found = _workspace()
    name = found.name
    try:
        workspaces.delete_workspace(get_session(), found)
    except workspaces.MembershipError as exc:
        flash(f"Nothing deleted: {exc}.", "error")
        return _render_members(found, status=exc.status)
    flash(f"Deleted workspace “{name}”.", "info")
    return redirect(url_for("researcher.index"), 303)


# ------------------------------------------------------------------ joining


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> Any:
    """Accept a workspace invite: logged in as its address, or by creating it."""
    db = get_session()
    invite, workspace = workspaces.invite_by_token(db, token)
    account = NewAccountForm()
    context: dict[str, Any] = {
        "invite": invite,
        "workspace": workspace,
        "form": JoinForm(),
        "account": account,
        "login_url": url_for("auth.login", next=request.path),
        "has_account": db.exec(
            select(Researcher.id).where(Researcher.email == invite.email)
        ).first()
        is not None,
    }
    if current_user.is_authenticated:
        if current_user.email != invite.email:
            return render_template("workspaces/join.html", wrong=True, **context), 403
        if request.method == "POST" and context["form"].validate_on_submit():
            joined, role = workspaces.accept_invite(db, token, current_researcher_id())
            return _joined(joined, role)
        return render_template("workspaces/join.html", **context)
    if request.method == "POST":
        if context["has_account"]:
            flash(f"{invite.email} has an account already: log in first.", "error")
            return render_template("workspaces/join.html", **context), 400
        if account.validate_on_submit():
            researcher = create_researcher(
                db,
                email=invite.email,
                password=account.password.data or "",
                name=account.name.data or "",
            )
            assert researcher.id is not None
            joined, role = workspaces.accept_invite(db, token, researcher.id)
            sign_in(researcher)
            flash(f"Created your account {researcher.email}.", "info")
            return _joined(joined, role)
        flash("Your account was not created; see the form below.", "error")
        return render_template("workspaces/join.html", **context), 400
    return render_template("workspaces/join.html", **context)


def _joined(workspace: Workspace, role: WorkspaceRole) -> WerkzeugResponse:
    switch_workspace(workspace.slug)
    flash(f"You joined workspace “{workspace.name}” as {role}.", "info")
    return redirect(url_for("researcher.index"), 303)
