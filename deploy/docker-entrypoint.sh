#!/bin/sh
# One image, several processes: the first argument names the process (docker-compose.yml sets it).
#
#   rasa             Rasa server: REST + Socket.IO channels, HTTP API (token), port 5005
#   actions          action server, port 5055
#   web              staff console, widget, demo page and school plans, port 8000
#   telegram         Telegram relay (needs TELEGRAM_BOT_TOKEN)
#   train            train the model into models/ if the training data changed (one-shot)
#   migrate          apply the database migrations (one-shot)
#   retention        delete expired inquiries and idle conversations once (one-shot)
#   retention-daily  the same, once a day, for as long as the container runs
#   anything else    run as a command, e.g. `python -m safeshare create-user alice --role admin`
set -eu

require() {
    for name in "$@"; do
        eval "value=\${$name:-}"
        if [ -z "$value" ]; then
            echo "safeshare: $name must be set (see .env.example)" >&2
            exit 64
        fi
    done
}

command="${1:-rasa}"
[ "$#" -gt 0 ] && shift

case "$command" in
    rasa)
        # Secrets are shared by every process, so they must come from the environment: the
        # generated-into-var/ fallback of a single machine would differ per container.
        require RASA_TOKEN SAFESHARE_SECRET_KEY TRACKER_DB_URL ACTION_ENDPOINT_URL
        # One message is parsed at a time per process: TensorFlow's thread pools only add
        # contention (bench/load.py; docs/benchmarks.md). Scale with replicas instead.
        export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
        export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
        exec python -m safeshare.rasa_ext.server run --model models/safeshare.tar.gz \
            --enable-api --auth-token="$RASA_TOKEN" --cors "${RASA_CORS_ORIGINS:-*}" \
            --interface 0.0.0.0 --port 5005 \
            --endpoints endpoints.yml --credentials credentials.yml "$@"
        ;;
    actions)
        require SAFESHARE_SECRET_KEY DATABASE_URL
        exec python -m rasa_sdk --actions actions --port 5055 "$@"
        ;;
    web)
        require SAFESHARE_SECRET_KEY RASA_TOKEN DATABASE_URL
        exec python -m safeshare.web --port "${SAFESHARE_WEB_PORT:-8000}" "$@"
        ;;
    telegram)
        require TELEGRAM_BOT_TOKEN SAFESHARE_SECRET_KEY
        exec python -m bot "$@"
        ;;
    train)
        exec python -m safeshare train "$@"
        ;;
    migrate)
        require DATABASE_URL
        exec python -m safeshare db-upgrade "$@"
        ;;
    retention)
        require DATABASE_URL TRACKER_DB_URL
        exec python -m safeshare retention "$@"
        ;;
    retention-daily)
        require DATABASE_URL TRACKER_DB_URL
        # /tmp/retention-ok is the healthcheck's heartbeat: touched after every successful run.
        while :; do
            if python -m safeshare retention "$@"; then
                touch /tmp/retention-ok
                sleep 86400
            else
                echo "safeshare: retention failed; retrying in one hour" >&2
                sleep 3600
            fi
        done
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
