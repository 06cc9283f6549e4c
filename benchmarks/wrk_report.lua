-- Printed after wrk's own report: exact latency percentiles (microseconds) for the API benchmark's parser.
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES p50=%d p95=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
