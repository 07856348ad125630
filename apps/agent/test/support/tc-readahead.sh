#!/bin/sh
# A stand-in for `tc -s -j -b -` of iproute2 4.16–5.2 (tc/tc.c batch() with the "batchsize"
# feature): it reads the NEXT batch line before it runs the current one. Answers
# `qdisc show dev DEV` with one root tbf whose options are raw text, as tc 4.18 prints them.
IFS= read -r line || exit 0
while :; do
  if IFS= read -r next; then last=0; else last=1; fi
  case "$line" in
    "qdisc show dev "*)
      dev=${line#qdisc show dev }
      printf '[{"kind":"tbf","handle":"8001:","root":true,"refcnt":2,"options":{rate 10Mbit burst 1600b lat 50.0ms },"bytes":98231,"packets":%s,"drops":3,"overlimits":0,"requeues":0,"backlog":0,"qlen":0}]\n' "${#dev}"
      ;;
  esac
  [ "$last" = 1 ] && exit 0
  line=$next
done
