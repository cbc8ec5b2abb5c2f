#!/usr/bin/env bash
# with-kafka.sh CMD [ARG...]: runs CMD with KAFKA_BROKERS set: the one
# already set, else the broker `make kafka-up` left running, else one
# started here from the official jars and always stopped again, whatever
# CMD does. The exit status is CMD's. Used by `make test` and
# `make fault-test`.
#
# With a broker of scripts/kafka.sh (running or started here), CMD also
# gets the variables of its TLS/SASL test listeners (KAFKA_SASL_BROKERS,
# KAFKA_TLS_CA, ...; see kafka.sh). With KAFKA_BROKERS set by the caller,
# only what the caller set.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
kafka=scripts/kafka.sh
if [[ -z ${KAFKA_BROKERS:-} ]]; then
  if KAFKA_BROKERS=$($kafka status 2>/dev/null); then
    echo "with-kafka: using the running broker at $KAFKA_BROKERS"
    env=$($kafka env 2>/dev/null) && eval "$env"
  else
    trap '$kafka down' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    up=$($kafka up) || { echo "with-kafka: the broker did not start"; exit 1; }
    eval "$up"
  fi
fi
[[ -n ${KAFKA_BROKERS:-} ]] || { echo "with-kafka: no broker address"; exit 1; }
export KAFKA_BROKERS
secure=
[[ -n ${KAFKA_SASL_BROKERS:-} ]] && secure=", TLS/SASL test listeners too"
echo "$*  (KAFKA_BROKERS=$KAFKA_BROKERS$secure)"
"$@"
