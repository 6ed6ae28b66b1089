# Shared by idf-tree.sh and micropython-tree.sh (sourced): find a repository's git directory
# under MIRRORS and fill a submodule of the tree being laid out (SRC_GIT at SRC_REF -> OUT).
# Set before sourcing: TREE (the name in messages), MIRRORS, OUT, SRC_GIT, SRC_REF.

T0=$(date +%s)
say() { printf '[%s +%ds] %s\n' "$TREE" $(( $(date +%s) - T0 )) "$*"; }
die() { say "error: $*" >&2; exit 1; }
git -C "$SRC_GIT" rev-parse -q --verify "$SRC_REF^{commit}" >/dev/null || die "$SRC_GIT has no $SRC_REF"
SRC_DATE=$(git -C "$SRC_GIT" log -1 --format=%ct "$SRC_REF")  # the tag's commit time

mirror() {  # OWNER/NAME -> git dir or empty
  local o=${1%%/*} n=${1##*/} d
  for d in "$MIRRORS/$o+$n/repo" "$MIRRORS/$o+$n" "$MIRRORS/$o/$n" "$MIRRORS/$n.git"; do
    git -C "$d" rev-parse --git-dir >/dev/null 2>&1 && { echo "$d"; return; }
  done
}

# newest commit of REF (a branch or tag glob) committed no later than the tree's own tag
nearest() {  # GITDIR PATTERN
  local g=$1 pat=$2
  if [[ $pat == tag:* ]]; then
    git -C "$g" for-each-ref --sort=-creatordate --format='%(creatordate:unix) %(refname:short)' "refs/tags/${pat#tag:}" \
      | awk -v d="$SRC_DATE" '$1 <= d {print $2; exit}'
  else
    git -C "$g" rev-list -1 --before="$SRC_DATE" "$pat" 2>/dev/null
  fi
}

sub() {  # PATH REPO [FALLBACK-REF] : fill submodule PATH
  local path=$1 repo=$2 alt=${3:-} pin g use
  [ -e "$OUT/$path/.filled" ] && return 0
  pin=$(git -C "$SRC_GIT" ls-tree "$SRC_REF" "$path" | awk '{print $3}')
  [ -n "$pin" ] || die "$SRC_REF has no submodule at $path"
  g=$(mirror "$repo")
  [ -n "$g" ] || die "no git directory for $repo under $MIRRORS (needed for $path)"
  if git -C "$g" cat-file -e "$pin^{commit}" 2>/dev/null; then
    use=$pin
  else
    [ -n "$alt" ] || die "$repo lacks $path's pinned commit $pin and no substitute is named"
    use=$(nearest "$g" "$alt")
    [ -n "$use" ] || die "$repo lacks $pin and has nothing matching $alt before $SRC_REF"
    say "SUBSTITUTED $path: pinned $pin is not in $repo; using $alt at $(git -C "$g" rev-parse --short "$use^{commit}")"
    echo "$path $repo pinned=$pin used=$alt@$(git -C "$g" rev-parse "$use^{commit}")" >>"$OUT/SUBSTITUTIONS"
  fi
  rm -rf "${OUT:?}/$path" && mkdir -p "$OUT/$path"
  git -C "$g" archive "$use" | tar -x -C "$OUT/$path"
  touch "$OUT/$path/.filled"
  say "submodule $path <- $repo $(git -C "$g" rev-parse --short "$use^{commit}")"
}

