#!/usr/bin/env bash
# The script the grantplan GitHub Action (action.yml) runs after installing grantplan:
# plans grants.yaml as markdown, writes the reviewed-plan file into a directory, and posts
# the markdown as ONE pull-request comment, updating that comment on later pushes rather
# than adding another.
#
# The comment is found by a hidden marker on its first line, `<!-- grantplan-plan -->`
# (`<!-- grantplan-plan: ID -->` with GRANTPLAN_COMMENT_ID, so that two plans in one pull
# request keep a comment each), among the comments written by GRANTPLAN_COMMENT_AUTHOR
# (github-actions[bot], the author of comments made with the workflow's GITHUB_TOKEN): a
# comment someone else wrote with the marker in it is never edited. The oldest match is
# updated; none, a comment is created. All through `gh api`, which reads GH_TOKEN.
#
# Environment (action.yml sets it from the action's inputs):
#   GRANTPLAN_BIN          the grantplan binary (default: grantplan on PATH)
#   GRANTPLAN_FILE         the grants file (default grants.yaml)
#   GRANTPLAN_OUT_DIR      where the plan file goes (default planned/)
#   GRANTPLAN_CATALOG      a snapshot to plan against instead of the database (optional)
#   GRANTPLAN_PR           the pull request's number; empty: plan only, no comment
#   GRANTPLAN_COMMENT_ID   tells this plan's comment from others' (optional)
#   GRANTPLAN_COMMENT_AUTHOR  whose comments may be updated (default github-actions[bot])
#   GITHUB_REPOSITORY      owner/name (set by GitHub Actions)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY  set by GitHub Actions; optional here
# The database comes from grantplan's own variables (GRANTPLAN_DATABASE_URL, PG*).
#
# Outputs (to GITHUB_OUTPUT): changes (true/false), plan-file (the file written; empty
# when nothing changes), comment-url. Exit status: grantplan's 1 when planning failed
# (and then no comment is touched), gh's when the comment could not be written, else 0.
#
# Tested in tests/ship.rs with a stand-in `gh` on PATH that records its arguments and
# answers the comment list through jq, as gh's --jq does.
set -euo pipefail

grantplan=${GRANTPLAN_BIN:-grantplan}
file=${GRANTPLAN_FILE:-grants.yaml}
out_dir=${GRANTPLAN_OUT_DIR:-planned/}
catalog=${GRANTPLAN_CATALOG:-}
pr=${GRANTPLAN_PR:-}
comment_id=${GRANTPLAN_COMMENT_ID:-}
author=${GRANTPLAN_COMMENT_AUTHOR:-github-actions[bot]}
output=${GITHUB_OUTPUT:-/dev/null}

fail() {
    echo "grantplan-comment: $*" >&2
    exit 1
}

# Checked before anything runs: these end up inside a jq program and an API path.
if [ -n "$pr" ] && ! [[ $pr =~ ^[1-9][0-9]*$ ]]; then
    fail "GRANTPLAN_PR must be a pull request number, not '$pr'"
fi
[[ $author =~ ^[A-Za-z0-9._-]+(\[bot\])?$ ]] || fail "GRANTPLAN_COMMENT_AUTHOR '$author' is not a GitHub login"
[[ $comment_id =~ ^[A-Za-z0-9._/-]*$ ]] || fail "GRANTPLAN_COMMENT_ID may hold letters, digits and ._/- only"
if [ -n "$pr" ] && ! [[ ${GITHUB_REPOSITORY:-} =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    fail "GITHUB_REPOSITORY must be owner/name, not '${GITHUB_REPOSITORY:-}'"
fi

marker="<!-- grantplan-plan${comment_id:+: $comment_id} -->"
case $out_dir in */) ;; *) out_dir="$out_dir/" ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The plan. --detailed-exitcode: 0 no changes, 2 changes, 1 error.
ls -1 "$out_dir" 2>/dev/null | sort > "$work/before" || true
args=(plan -f "$file" --format markdown --detailed-exitcode --out "$out_dir")
if [ -n "$catalog" ]; then
    args+=(--catalog "$catalog")
fi
set +e
"$grantplan" "${args[@]}" > "$work/plan.md"
code=$?
set -e
case $code in
    0) changes=false ;;
    2) changes=true ;;
    *) fail "grantplan plan failed (exit $code); no comment was written" ;;
esac
ls -1 "$out_dir" 2>/dev/null | sort > "$work/after" || true
plan_file=$(comm -13 "$work/before" "$work/after" | grep '\.sql$' | head -n 1 || true)
[ -z "$plan_file" ] || plan_file="$out_dir$plan_file"
{
    echo "changes=$changes"
    echo "plan-file=$plan_file"
} >> "$output"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$work/plan.md" >> "$GITHUB_STEP_SUMMARY"
fi

if [ -z "$pr" ]; then
    echo "grantplan-comment: not a pull request: planned, no comment"
    echo "comment-url=" >> "$output"
    exit 0
fi

{
    echo "$marker"
    cat "$work/plan.md"
} > "$work/body.md"

repo=$GITHUB_REPOSITORY
# The marker and the login are checked above to hold no `"` or `\`, so both are plain
# jq string literals.
# Every match is read before the first is taken: closing the pipe early could kill gh.
ids=$(gh api --paginate "repos/$repo/issues/$pr/comments" \
    --jq ".[] | select(.user.login == \"$author\" and (.body | startswith(\"$marker\"))) | .id")
existing=${ids%%$'\n'*}
if [ -n "$existing" ]; then
    [[ $existing =~ ^[0-9]+$ ]] || fail "unexpected comment id from gh: '$existing'"
    url=$(gh api --method PATCH "repos/$repo/issues/comments/$existing" \
        -F "body=@$work/body.md" --jq .html_url)
    echo "grantplan-comment: updated comment $existing on #$pr: $url"
else
    url=$(gh api --method POST "repos/$repo/issues/$pr/comments" \
        -F "body=@$work/body.md" --jq .html_url)
    echo "grantplan-comment: created a comment on #$pr: $url"
fi
echo "comment-url=$url" >> "$output"
