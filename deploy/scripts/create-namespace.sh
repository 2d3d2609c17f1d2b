#!/bin/sh
# One-shot job (temporalio/admin-tools image): waits for the Temporal frontend, creates the namespace if it is
# missing and registers the kdf-lightning search attributes that are missing. Safe to run again.
# Written after samples-server's compose/scripts/create-namespace.sh, whose retry counter had a typo
# ($MAX_ATTdMPTS) that made `set -u` abort on the first retry: here every retry goes through `retry`.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-720h}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-60}"
# the same list as scripts/dev-server.mjs (SEARCH_ATTRIBUTES); test/deploy checks they agree
SEARCH_ATTRIBUTES="KdfNode=Keyword KdfTicker=Keyword KdfPhase=Keyword KdfFleet=Keyword KdfTaskId=Int"

# retry COMMAND...: runs it until it succeeds, at most MAX_ATTEMPTS times, 2 s apart
retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      echo "giving up after $attempt attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

echo "waiting for Temporal at $ADDRESS"
retry temporal operator cluster health --address "$ADDRESS" >/dev/null

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  retry temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

# a new namespace takes a moment to reach every service's cache: the listing is retried until it is there
existing=$(retry temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS")
for attribute in $SEARCH_ATTRIBUTES; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    retry temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" \
      --address "$ADDRESS"
    echo "search attribute $name created ($type)"
  fi
done
