#!/bin/sh
# CI's publish job, after each push: records the image in images.env, the
# record prod's deploy step pins from (README, Rolling out), and prints the
# digest (for the job's provenance step, where it has one). One line a push,
# NAME=REF@DIGEST, REF the image:commit-sha tag pushed and DIGEST what
# skopeo's --digestfile wrote.
# A push that wrote no digest, or anything but one, fails the job here rather
# than leave a record the deploy step cannot pin from.
#   scripts/record-digest.sh NAME REF DIGESTFILE RECORD
# POSIX sh: a job's image may have busybox's sh and no bash.
set -eu
if [ "$#" -ne 4 ]; then
  echo "usage: scripts/record-digest.sh NAME REF DIGESTFILE RECORD" >&2
  exit 2
fi
name=$1 ref=$2 digestfile=$3 record=$4
if [ ! -s "${digestfile}" ]; then
  echo "record-digest: ${name}: the push left no digest in ${digestfile}; nothing recorded" >&2
  exit 1
fi
digest=$(cat "${digestfile}")
# One line, all of it the digest: grep alone would pass a file whose first line is.
nl='
'
case "${digest}" in
  *"${nl}"*) valid=no ;;
  *) if printf '%s\n' "${digest}" | grep -qxE 'sha256:[0-9a-f]{64}'; then valid=yes; else valid=no; fi ;;
esac
if [ "${valid}" != yes ]; then
  # Its first line, control characters shown as '?', so a garbled file cannot garble the log.
  shown=$(printf '%s\n' "${digest}" | head -n 1 | cut -c 1-100 | tr -c '[:print:]\n' '?')
  echo "record-digest: ${name}: ${digestfile} holds '${shown}', not a digest (sha256:[0-9a-f]{64}); nothing recorded" >&2
  exit 1
fi
printf '%s=%s@%s\n' "${name}" "${ref}" "${digest}" >>"${record}"
printf '%s\n' "${digest}"
