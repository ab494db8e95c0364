// Installed before any page script runs: records FCP, LCP and CLS as they happen.
// CLS follows web-vitals: the largest session window of shifts (gaps < 1 s,
// windows <= 5 s) not caused by recent input.
(() => {
  if (window !== window.top || window.__uxlabPerf) {
    return;
  }
  const perf = { fcp: null, lcp: null, cls: 0 };
  Object.defineProperty(window, "__uxlabPerf", { value: perf });
  let windowValue = 0;
  let windowStart = 0;
  let lastShift = 0;
  const observe = (type, onEntry) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(onEntry)).observe({
        type,
        buffered: true,
      });
    } catch (error) {
      // Entry type not supported by this browser: leave the metric empty.
    }
  };
  observe("paint", (entry) => {
    if (entry.name === "first-contentful-paint") {
      perf.fcp = entry.startTime;
    }
  });
  observe("largest-contentful-paint", (entry) => {
    perf.lcp = entry.startTime;
  });
  observe("layout-shift", (entry) => {
    if (entry.hadRecentInput) {
      return;
    }
    if (
      windowValue > 0 &&
      entry.startTime - lastShift < 1000 &&
      entry.startTime - windowStart < 5000
    ) {
      windowValue += entry.value;
    } else {
      windowValue = entry.value;
      windowStart = entry.startTime;
    }
    lastShift = entry.startTime;
    perf.cls = Math.max(perf.cls, windowValue);
  });
})();
