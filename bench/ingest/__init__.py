"""``make bench-ingest``: how fast one worker ingests production-size feed files.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server), points Django at it, and measures:

1. parse + validate of a ~500-row Actant spot-risk file (pure, in-process);
2. files per second one worker process sustains: N files uploaded first, then a
   ``NotificationConsumer`` drains the queue (in_flight 1, 4 and 8);
3. per-stage time of each file (download, parse, derive, redis, dynamodb,
   publish, the un-staged rest, SQS delete);
4. end-to-end latency (S3 event time -> publish finished) at steady 1 and 10
   files/s while a consumer runs, with a stand-in feed server (own process)
   and a stand-in web process subscribed to the channel layer.

Everything stops at the end, and on Ctrl-C. ``--quick`` is a short smoke run.
See docs/PERFORMANCE.md for the figures and what they mean.

Modules: ``__main__`` (the run: start, the phases, the report, stop), ``phases``
(the command line, the instrumented stack on ``bench.harness``, simulated feed
files, the queue and its consumer, and the four phases) and ``report`` (figures
derived from a phase, the targets, the machine, the tables, the raw JSON).
"""
