import assert from "node:assert/strict";
import { test } from "node:test";

import { layout } from "../../orders/static/orders/widgets/chart.js";
import { MinuteSeries, minuteOf } from "../../orders/static/orders/widgets/minutes.js";

const DAY = "2026-11-26";
const at = (time) => `${DAY}T${time}Z`;
const order = (id, fields = {}) => ({ id, total: "10.00", status: "pending", createdAt: at("10:00:00"),
  ...fields });

test("minuteOf floors to the minute", () => {
  assert.equal(minuteOf(at("10:05:59.900")), Date.parse(at("10:05:00")));
  assert.equal(minuteOf("not a time"), null);
});

test("series: created orders fill their minute's bucket, repeated ids are ignored", () => {
  const series = new MinuteSeries({ day: DAY,
    minutes: [{ minute: at("10:00:00"), orders: 2, revenue: "30.00" }] });
  assert.ok(series.apply("order:created", order(1, { total: "5.50", createdAt: at("10:00:40") })));
  assert.ok(!series.apply("order:created", order(1, { total: "5.50", createdAt: at("10:00:40") })));
  assert.ok(series.apply("order:created", order(2, { createdAt: at("10:03:01") })));
  assert.deepEqual(series.points(), [
    { minute: Date.parse(at("10:00:00")), orders: 3, revenue: "35.50" },
    { minute: Date.parse(at("10:03:00")), orders: 1, revenue: "10.00" },
  ]);
});

test("series: the revenue rule — cancelled leave, an edited total moves, other days are ignored", () => {
  const series = new MinuteSeries({ day: DAY });
  series.apply("order:created", order(1));
  series.apply("order:created", order(2, { status: "cancelled" }));
  assert.deepEqual(series.points().map((p) => p.orders), [1]);
  series.apply("order:updated", order(1, { total: "12.00" }));
  assert.equal(series.points()[0].revenue, "12.00");
  assert.ok(!series.apply("order:created", order(3, { createdAt: "2026-11-25T10:00:00Z" })));
  series.apply("order:deleted", order(1, { total: "12.00" }));
  assert.deepEqual(series.points(), []);
});

test("series: a status change of an order it never saw uses previousStatus", () => {
  const series = new MinuteSeries({ day: DAY,
    minutes: [{ minute: at("10:00:00"), orders: 1, revenue: "10.00" }] });
  series.apply("order:status_changed", order(9, { status: "refunded", previousStatus: "delivered" }));
  assert.deepEqual(series.points(), []);
});

test("series: an order of a later day starts that day empty", () => {
  const series = new MinuteSeries({ day: DAY,
    minutes: [{ minute: at("23:59:00"), orders: 4, revenue: "40.00" }] });
  series.apply("order:created", order(1, { createdAt: "2026-11-27T00:00:05Z" }));
  assert.deepEqual(series.points().map((p) => p.orders), [1]);
  assert.equal(series.day, "2026-11-27");
});

test("layout: from the first bucket to the current minute, scaled to nice maxima", () => {
  const points = [
    { minute: Date.parse(at("09:10:00")), orders: 3, revenue: "180.00" },
    { minute: Date.parse(at("10:29:00")), orders: 1, revenue: "20.00" },
  ];
  const plan = layout(points, { now: Date.parse(at("10:29:30")), width: 100, height: 50 });
  assert.equal(plan.start, Date.parse(at("09:10:00")));
  assert.equal(plan.end, Date.parse(at("10:30:00")));
  assert.equal(plan.maxOrders, 5);
  assert.equal(plan.maxRevenue, 200);
  assert.equal(plan.bars[0].height, 30);
  assert.ok(plan.bars[1].x > plan.bars[0].x && plan.bars[1].x < 100);
  assert.equal(plan.line[0].y, 50 - 45);
});

test("layout: a recent first bucket or an empty day still spans half an hour", () => {
  const plan = layout([], { now: Date.parse(at("10:29:30")) });
  assert.equal(plan.start, Date.parse(at("10:00:00")));
  assert.equal(plan.end, Date.parse(at("10:30:00")));
  const recent = layout([{ minute: Date.parse(at("10:28:00")), orders: 1, revenue: "1.00" }],
    { now: Date.parse(at("10:29:30")), width: 300 });
  assert.equal(recent.start, Date.parse(at("10:00:00")));
  assert.equal(recent.bars[0].width, 9, "a minute of a 30-minute window, less a gap");
  assert.deepEqual(plan.bars, []);
});
