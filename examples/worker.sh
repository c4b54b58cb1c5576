#!/usr/bin/env bash
# A Herald job worker in plain shell: lease a job (waiting up to 25s for one), report progress, ack it.
# Needs curl and jq. A failing job is nacked: Herald retries it with backoff, then moves it to the dead list.
#
#   HERALD=http://localhost:8080 TOKEN=... QUEUE=images ./examples/worker.sh
#
# The token needs the `work` claim on the queue. Stop it with Ctrl-C: a job it held comes back to the
# queue when its lease expires (VISIBILITY seconds), with attempt+1.
set -euo pipefail

HERALD=${HERALD:-http://localhost:8080}
QUEUE=${QUEUE:?set QUEUE to the queue to work on}
TOKEN=${TOKEN:?set TOKEN to a token with the work claim}
VISIBILITY=${VISIBILITY:-30}
auth=(-H "Authorization: Bearer $TOKEN")
json=(-H 'Content-Type: application/json')

# What the worker does with one job; replace it with your own. Gets the job's data as JSON in $1.
work() {
  for step in 25 50 75; do
    sleep 1
    progress "$step" "step $step"
  done
  echo '{"done":true}'
}

progress() {
  curl -sf "${auth[@]}" "${json[@]}" -d "{\"lease\":\"$lease\",\"progress\":$1,\"message\":\"$2\"}" \
    "$HERALD/v1/jobs/$id/progress" > /dev/null || echo "progress refused (lease lost?)" >&2
}

while true; do
  answer=$(curl -sf "${auth[@]}" -X POST "$HERALD/v1/queues/$QUEUE/leases?max=1&wait=25&visibility=$VISIBILITY") || {
    echo "lease failed; retrying in 2s" >&2; sleep 2; continue; }
  job=$(jq -c '.jobs[0] // empty' <<< "$answer")
  [ -z "$job" ] && continue                      # nothing arrived within 25s: ask again
  id=$(jq -r .id <<< "$job")
  lease=$(jq -r .lease <<< "$job")
  echo "job $id (attempt $(jq -r .attempt <<< "$job")): $(jq -c .data <<< "$job")"
  if result=$(work "$(jq -c .data <<< "$job")"); then
    curl -sf "${auth[@]}" "${json[@]}" -d "{\"lease\":\"$lease\",\"result\":$result}" \
      "$HERALD/v1/jobs/$id/ack" | jq -c '{id, status}'
  else
    curl -sf "${auth[@]}" "${json[@]}" -d "{\"lease\":\"$lease\",\"error\":\"work failed\"}" \
      "$HERALD/v1/jobs/$id/nack" | jq -c '{id, status, nextRunAt}'
  fi
done
