# Start a PostgreSQL server on 127.0.0.1:54329 in a temporary folder and export its URL.
# Sourced by .ci/run; also usable by developers: `source .ci/postgres.sh`.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=${ALSREVIEW_PG_DIR:-/tmp/alsreview-pg}
pg_port=${ALSREVIEW_PG_PORT:-54329}
if ! "$pg_bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q 2>/dev/null; then
  rm -rf "$pg_dir"
  mkdir -p "$pg_dir"
  chown postgres:postgres "$pg_dir"
  su postgres -c "$pg_bin/initdb -D $pg_dir/data -U postgres --auth=trust -E UTF8" >/dev/null
  su postgres -c "$pg_bin/pg_ctl -D $pg_dir/data -o '-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1' -l $pg_dir/log -w start" >/dev/null
fi
export ALSREVIEW_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:${pg_port}/postgres"
echo "PostgreSQL ready at $ALSREVIEW_TEST_PG_URL"
