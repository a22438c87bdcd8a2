#!/usr/bin/env bash
# Make sure the local PostgreSQL server on 127.0.0.1:5432 accepts connections
# before the tests run, starting the Debian cluster when it is down.
#
# This script never fails the build: when it cannot start a server it prints
# why and exits 0, and the tests marked `postgres` then skip with a message
# naming ASYNCLINT_TEST_POSTGRES_URL.
set -u

HOST=127.0.0.1
PORT=5432
WAIT_SECONDS=30

accepting() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$HOST" -p "$PORT"
    else
        # Without the client tools, an open TCP port is the best available sign.
        (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
    fi
}

if accepting; then
    echo "ensure-postgres: PostgreSQL is accepting connections on $HOST:$PORT"
    exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure-postgres: no server on $HOST:$PORT and no pg_ctlcluster to start one; the postgres tests will be skipped"
    exit 0
fi

if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "ensure-postgres: pg_ctlcluster exists but /etc/postgresql has no cluster; the postgres tests will be skipped"
    exit 0
fi

# Normally one version is installed; with several, try the newest first.
for version in $(ls /etc/postgresql | sort -rV); do
    [ -d "/etc/postgresql/$version/main" ] || continue
    echo "ensure-postgres: starting PostgreSQL $version cluster main"
    if ! pg_ctlcluster --skip-systemctl-redirect "$version" main start; then
        echo "ensure-postgres: pg_ctlcluster could not start PostgreSQL $version main (see its message above)"
        continue
    fi

    for _ in $(seq 1 "$WAIT_SECONDS"); do
        if accepting; then
            echo "ensure-postgres: PostgreSQL $version is accepting connections on $HOST:$PORT"
            exit 0
        fi
        sleep 1
    done
    echo "ensure-postgres: PostgreSQL $version started but did not accept connections on $HOST:$PORT within $WAIT_SECONDS s"
done

echo "ensure-postgres: could not get a server on $HOST:$PORT; the postgres tests will be skipped"
exit 0
