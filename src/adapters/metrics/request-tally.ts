/**
 * Requests of the generated API, counted and timed in plain numbers per label set.
 *
 * prom-client's Counter and Histogram hash the label set and allocate on every
 * `inc` and `observe`: about 3 µs of every request on a path that takes 30. Here
 * a request costs one Map lookup and a few additions; the Prometheus series are
 * built only when /metrics is scraped, in the shape prom-client writes them
 * (`microlib_http_requests_total` and the `microlib_http_request_duration_seconds`
 * histogram), so scrapers and dashboards see the same text.
 */
import type { Metric, Registry } from 'prom-client';

type SeriesLabels = { model: string; route: string; method: string };

interface Series {
  readonly labels: SeriesLabels;
  /** Answers by status code. */
  readonly statuses: Map<number, number>;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
}

/** The minimal metric prom-client's registry reads: its name, help and type, and its values on demand. */
export function exportedMetric(name: string, help: string, type: 'counter' | 'histogram', values: () => ExportedValue[], reset: () => void): Metric {
  const forText = async () => ({ name, help, type, values: values(), aggregator: 'sum' as const });
  // As JSON, each value carries all its labels in one object (what prom-client's get() gives).
  const asJson = async () => ({ ...(await forText()), values: values().map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) });
  // The registry calls get()/getForPromString() and reset() only; the cast says so.
  return { name, help, type, aggregator: 'sum', get: asJson, getForPromString: forText, reset } as unknown as Metric;
}

export class RequestTally {
  /** Every series, in the order first seen (what a scrape walks). */
  private series: Series[] = [];
  /** The same series by model, route and method (what a request walks). */
  private lookup = new Map<string, Map<string, Map<string, Series>>>();

  /** `bounds`: the histogram's upper bounds in seconds, ascending. */
  constructor(
    registry: Registry,
    private readonly bounds: readonly number[],
  ) {
    registry.registerMetric(exportedMetric('microlib_http_requests_total', 'Requests of the generated API', 'counter', () => this.counts(), () => this.clear()));
    registry.registerMetric(
      exportedMetric('microlib_http_request_duration_seconds', 'Time to answer a request of the generated API', 'histogram', () => this.latencies(), () => this.clear()),
    );
  }

  /** One answered request, taking `seconds`. */
  record(model: string, route: string, method: string, status: number, seconds: number): void {
    // Looked up by the label strings themselves (model names, route kinds and node's method
    // names are the same string objects each time, their hashes cached): no key built per request.
    let byRoute = this.lookup.get(model);
    if (byRoute === undefined) this.lookup.set(model, (byRoute = new Map()));
    let byMethod = byRoute.get(route);
    if (byMethod === undefined) byRoute.set(route, (byMethod = new Map()));
    let series = byMethod.get(method);
    if (series === undefined) {
      series = { labels: { model, route, method }, statuses: new Map(), buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byMethod.set(method, series);
      this.series.push(series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    series.sum += seconds;
    series.count++;
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    series.buckets[bucket]!++;
  }

  private clear(): void {
    this.series = [];
    this.lookup = new Map();
  }

  private counts(): ExportedValue[] {
    const values: ExportedValue[] = [];
    for (const { labels, statuses } of this.series) {
      for (const [status, count] of statuses) values.push({ labels: { ...labels, status: String(status) }, value: count });
    }
    return values;
  }

  private latencies(): ExportedValue[] {
    const name = 'microlib_http_request_duration_seconds';
    const values: ExportedValue[] = [];
    for (const { labels, buckets, sum, count } of this.series) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += buckets[i]!;
        values.push({ labels: { le: bound }, sharedLabels: labels, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: `${name}_bucket` });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count` });
    }
    return values;
  }
}
