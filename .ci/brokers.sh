#!/usr/bin/env bash
# Makes sure the four brokers the e2e tests use are installed (Debian packages) and listening on
# their usual local ports: NATS 4222, RabbitMQ 5672, Redis 6379, Mosquitto 1883. Starts whichever
# is not running. Fails loudly (non-zero, with the broker's log) when one cannot be brought up.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in nats-server rabbitmq-server redis-server mosquitto; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

start_nats() {
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}
start_rabbitmq() { as_root rabbitmq-server -detached; }
start_redis() {
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_mosquitto() { as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf; }

# name port start-function log
brokers=(
  "NATS 4222 start_nats /var/log/nats-server.log"
  "RabbitMQ 5672 start_rabbitmq /var/log/rabbitmq"
  "Redis 6379 start_redis /var/log/redis/ci.log"
  "Mosquitto 1883 start_mosquitto /var/log/mosquitto/mosquitto.log"
)

for broker in "${brokers[@]}"; do
  read -r name port start _ <<<"$broker"
  if ! listening "$port"; then
    echo "starting $name"
    "$start"
  fi
done

for broker in "${brokers[@]}"; do
  read -r name port _ log <<<"$broker"
  for _ in $(seq 1 120); do
    listening "$port" && break
    sleep 1
  done
  if ! listening "$port"; then
    echo "ERROR: $name is not listening on 127.0.0.1:$port after 120 s. Its log ($log):" >&2
    if ! as_root bash -c "tail -n 40 $log 2>/dev/null || tail -n 40 $log/*.log" >&2; then
      echo "(no log at $log)" >&2
    fi
    exit 1
  fi
  echo "$name is listening on 127.0.0.1:$port"
done
