"""Python's multiprocessing.Pool on W1, W2 and W4, for comparison with `deno task bench`.

Run: python3 bench/compare/python_pool.py (prints medians in ms).
"""
import multiprocessing as mp
import statistics
import time


def square(x):
    return x * x


def timed(runs, fn):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    xs = list(range(100_000))
    with mp.Pool(2) as pool:
        pool.map(square, xs)
        w1 = timed(30, lambda: pool.map(square, xs))

        def many_calls():
            for result in [pool.apply_async(square, (i,)) for i in range(20_000)]:
                result.get()

        w2 = timed(7, many_calls)

    def open_and_answer():
        with mp.Pool(2) as fresh:
            fresh.map(square, [1, 2], chunksize=1)

    w4 = timed(10, open_and_answer)
    print(f"W1 Pool.map(square, 100k), 2 processes: {w1:.2f} ms")
    print(f"W2 20k apply_async, all awaited: {w2:.1f} ms")
    print(f"W4 Pool(2) open + one task each: {w4:.1f} ms ({mp.get_start_method()} start)")
