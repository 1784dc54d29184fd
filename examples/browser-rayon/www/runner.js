// The worker that drives rayon: instantiate the module, start the pool, time the job.
self.onmessage = async ({ data: { pkgUrl, threads, n, runs } }) => {
  try {
    const pkg = await import(pkgUrl);
    await pkg.default();
    await pkg.initThreadPool(threads);
    const ms = [];
    const checksums = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      checksums.push(pkg.sort_job(n, 1));
      ms.push(performance.now() - t0);
    }
    self.postMessage({ allocator: pkg.allocator(), ms, checksums });
  } catch (err) {
    self.postMessage({ error: String((err && err.stack) || err) });
  }
};
