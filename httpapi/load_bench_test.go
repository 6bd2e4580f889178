package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/httpapi"
	"github.com/onboardkit/onboardkit/onboarding"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// The load benchmarks of issue 19. They run only with -bench, for example
//
//	go test ./httpapi -run '^$' -bench 'Load' -benchtime 400x -count 4
//	go test ./httpapi -run '^$' -bench 'BurstPeakMemory' -count 4
//	go test ./httpapi -run '^$' -bench 'SignUpGC' -benchtime 1x -count 2
//
// with ONBOARDKIT_TEST_POSTGRES set for the postgres sub-benchmarks (they
// skip without it). Each starts the handler on an httptest server with the
// real argon2id hasher at its default (OWASP) parameters and concurrency,
// the store's rate limiter (in process on memory, the store's on
// PostgreSQL, as the example server does) with the default limits, and a
// distinct client address (X-Forwarded-For from a trusted loopback proxy)
// per sign-up, so that the per-client structures see many clients.

// loadBackends are the stores the load benchmarks run on.
var loadBackends = []string{"memory", "postgres"}

const (
	// loadRounds is the number of interleaved rounds of BenchmarkLoad.
	loadRounds = 4
	// burstSize is the number of concurrent sign-ups of
	// BenchmarkBurstPeakMemory.
	burstSize = 200
	// gcWindow and gcTotal: BenchmarkSignUpGC measures GC CPU over the
	// first gcWindow sign-ups and over the last gcWindow of gcTotal.
	gcWindow, gcTotal = 1000, 10000
	// baselineMiB is the allowance for everything but argon2id buffers in
	// the memory bound of issue 19: slots × Params.Memory + baselineMiB.
	baselineMiB = 64
)

// codeBox is an SMS and email sender that keeps only the last code per
// destination until it is taken, so that the benchmark's own bookkeeping
// does not grow with the number of sign-ups.
type codeBox struct {
	mu    sync.Mutex
	codes map[string]string
}

func (c *codeBox) Send(_ context.Context, m otp.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codes[m.To] = m.Code
	return nil
}

func (c *codeBox) take(to string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	code := c.codes[to]
	delete(c.codes, to)
	return code
}

// loadRig is a handler on an httptest server, its hasher and an HTTP client.
type loadRig struct {
	hasher  *password.Hasher
	limiter *ratelimit.Memory // the in-process limiter; nil on PostgreSQL
	url     string
	client  *http.Client
	codes   *codeBox
	seq     atomic.Int64
	// close stops the server. The benchmarks defer it rather than register
	// it with b.Cleanup: the testing package keeps the functions it ran,
	// and with them the whole store, which would weigh on the next
	// benchmark's heap.
	close func()
}

func newLoadRig(b *testing.B, backend string) *loadRig {
	b.Helper()
	hasher, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
	if err != nil {
		b.Fatal(err)
	}
	r := &loadRig{hasher: hasher, codes: &codeBox{codes: map[string]string{}}}
	var (
		store storage.Store
		lim   ratelimit.Limiter
	)
	switch backend {
	case "memory":
		r.limiter = ratelimit.NewMemory()
		store, lim = memory.New(), r.limiter
	case "postgres":
		pg := postgrestest.New(b)
		store, lim = pg, pg.Limiter()
	default:
		b.Fatalf("unknown backend %q", backend)
	}
	key, err := onboarding.NewSigningKey("k1", nil)
	if err != nil {
		b.Fatal(err)
	}
	ring, err := seal.NewEphemeralKeyring("bench")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := onboarding.New(onboarding.Config{
		Store: store, SMS: r.codes, Email: r.codes,
		Secret: bytes.Repeat([]byte{1}, 32), Hasher: hasher, Keyring: ring,
		Tokens: onboarding.TokenConfig{SigningKey: key},
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Config{
		Limiter:        lim,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	}))
	tr := &http.Transport{MaxIdleConnsPerHost: burstSize}
	r.url, r.client = srv.URL, &http.Client{Transport: tr}
	r.close = func() {
		tr.CloseIdleConnections()
		srv.Close()
	}
	return r
}

// post sends body as JSON from the client address ip and decodes the
// response into out.
func (r *loadRig) post(ctx context.Context, ip, path string, body, out any) (int, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+path, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	res, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil {
		err = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode, err
}

// signUp signs a new phone number up and confirms it, as a new client.
func (r *loadRig) signUp(ctx context.Context) error {
	n := r.seq.Add(1)
	phone := fmt.Sprintf("+3362%07d", n)
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	var su onboarding.SignUpResult
	st, err := r.post(ctx, ip, "/v1/signup", map[string]string{"phoneNumber": phone, "password": "correct-horse-7-battery"}, &su)
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("signup: %d %v", st, err)
	}
	body := map[string]string{"challengeId": su.Challenge.ChallengeID, "code": r.codes.take(phone)}
	if st, err := r.post(ctx, ip, "/v1/phone/confirm", body, nil); err != nil || st != http.StatusOK {
		return fmt.Errorf("confirm: %d %v", st, err)
	}
	return nil
}

// hash is one bare hash with the rig's hasher (its slots shared with the
// handler's sign-ups).
func (r *loadRig) hash(ctx context.Context) error {
	_, err := r.hasher.Hash(ctx, "correct-horse-7-battery")
	return err
}

// runParallel calls fn n times over workers goroutines and returns the
// wall time; it stops at the first error.
func runParallel(n, workers int, fn func(context.Context) error) (time.Duration, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for range min(n, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fn(ctx); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), first
}

// warmUp opens the client's connections and the store's pool.
func (r *loadRig) warmUp(b *testing.B) {
	b.Helper()
	if _, err := runParallel(2*benchClients, benchClients, r.signUp); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLoad is the figure of issue 19: the argon2id limit (bare hashes
// at the hasher's concurrency, benchClients callers) and sign-ups with phone
// confirmation through HTTP (benchClients concurrent clients), b.N of each,
// in loadRounds interleaved rounds (alternating which goes first) in one
// process. It reports hashes/s, signups/s and their ratio, the share of the
// hashing limit the handler reaches. Give it a few hundred iterations
// (-benchtime 400x) so each round has many sign-ups per client.
func BenchmarkLoad(b *testing.B) {
	for _, backend := range loadBackends {
		b.Run(backend, func(b *testing.B) {
			r := newLoadRig(b, backend)
			defer r.close()
			r.warmUp(b)
			rounds := min(loadRounds, b.N)
			var hashT, httpT time.Duration
			phase := func(d *time.Duration, n int, fn func(context.Context) error) {
				t, err := runParallel(n, benchClients, fn)
				if err != nil {
					b.Fatal(err)
				}
				*d += t
			}
			b.ResetTimer()
			for i := range rounds {
				n := b.N / rounds
				if i < b.N%rounds {
					n++
				}
				if i%2 == 0 {
					phase(&hashT, n, r.hash)
					phase(&httpT, n, r.signUp)
				} else {
					phase(&httpT, n, r.signUp)
					phase(&hashT, n, r.hash)
				}
			}
			b.StopTimer()
			hashes := float64(b.N) / hashT.Seconds()
			signUps := float64(b.N) / httpT.Seconds()
			b.ReportMetric(hashes, "hashes/s")
			b.ReportMetric(signUps, "signups/s")
			b.ReportMetric(signUps/hashes, "ratio")
			b.ReportMetric(float64(r.hasher.MaxConcurrent()), "hash-slots")
		})
	}
}

// BenchmarkBurstPeakMemory fires burstSize concurrent sign-ups (with
// confirmation) at the handler and reports the process's peak RSS
// (VmHWM, reset before the burst where Linux allows it), the peak heap
// (runtime/metrics, sampled every millisecond) and the bound of issue 19,
// hash slots × Params.Memory + 64 MiB, and the sign-ups/s of the bursts.
// The memlimit variant runs the bursts with the Go memory limit (GOMEMLIMIT)
// set to that bound. One iteration is one burst; run it alone and with
// -count for a range.
func BenchmarkBurstPeakMemory(b *testing.B) {
	for _, backend := range loadBackends {
		for _, limited := range []bool{false, true} {
			name := backend + "/gogc"
			if limited {
				name = backend + "/memlimit"
			}
			b.Run(name, func(b *testing.B) {
				r := newLoadRig(b, backend)
				defer r.close()
				r.warmUp(b)
				boundMiB := float64(r.hasher.MaxConcurrent())*float64(r.hasher.Params().Memory)/1024 + baselineMiB
				if limited {
					old := debug.SetMemoryLimit(int64(boundMiB * (1 << 20)))
					b.Cleanup(func() { debug.SetMemoryLimit(old) })
				}
				var (
					peak  memPeak
					spent time.Duration
					n     int
				)
				for b.Loop() {
					runtime.GC()
					debug.FreeOSMemory()
					peak.start()
					d, err := runParallel(burstSize, burstSize, r.signUp)
					peak.stop()
					if err != nil {
						b.Fatal(err)
					}
					spent += d
					n += burstSize
				}
				b.ReportMetric(float64(n)/spent.Seconds(), "signups/s")
				b.ReportMetric(peak.rssMiB, "peak-rss-MiB")
				b.ReportMetric(peak.heapMiB, "peak-heap-MiB")
				b.ReportMetric(peak.goMiB, "peak-go-MiB")
				b.ReportMetric(peak.baseMiB, "base-rss-MiB")
				b.ReportMetric(boundMiB, "bound-MiB")
			})
		}
	}
}

// memPeak samples the memory of the process during a burst and keeps the
// maxima over every burst.
type memPeak struct {
	rssMiB  float64 // resident set (VmHWM, or the sampled VmRSS)
	heapMiB float64 // heap objects, live and not yet swept
	goMiB   float64 // memory mapped by the Go runtime and not released
	baseMiB float64 // resident set before the burst

	hwm  bool // VmHWM was reset and can be read
	done chan struct{}
	wg   sync.WaitGroup
}

func (p *memPeak) start() {
	p.baseMiB = max(p.baseMiB, procStatusMiB("VmRSS"))
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
	p.hwm = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	p.done = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			p.sample()
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
}

func (p *memPeak) stop() {
	close(p.done)
	p.wg.Wait()
	p.sample()
	if p.hwm {
		p.rssMiB = max(p.rssMiB, procStatusMiB("VmHWM"))
	}
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

func (p *memPeak) sample() {
	s := append([]metrics.Sample(nil), memSamples...)
	metrics.Read(s)
	const mib = 1 << 20
	p.heapMiB = max(p.heapMiB, float64(s[0].Value.Uint64())/mib)
	p.goMiB = max(p.goMiB, float64(s[1].Value.Uint64()-s[2].Value.Uint64())/mib)
	if !p.hwm {
		p.rssMiB = max(p.rssMiB, procStatusMiB("VmRSS"))
	}
}

// procStatusMiB reads a "kB" field of /proc/self/status, 0 where there is
// none.
func procStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// BenchmarkSignUpGC signs gcTotal users up (benchClients concurrent
// clients) and reports the GC CPU per sign-up (runtime/metrics
// /cpu/classes/gc/total:cpu-seconds, an estimate that includes idle-time
// marking) over the first gcWindow sign-ups and over the last gcWindow, their
// ratio, the live heap after each window and, on memory, the keys of the
// in-process rate limiter at the end. Run with -benchtime 1x: one iteration
// is the whole sequence.
func BenchmarkSignUpGC(b *testing.B) {
	for _, backend := range loadBackends {
		b.Run(backend, func(b *testing.B) {
			r := newLoadRig(b, backend)
			defer r.close()
			r.warmUp(b)
			run := func(n int) {
				if _, err := runParallel(n, benchClients, r.signUp); err != nil {
					b.Fatal(err)
				}
			}
			// window returns the GC CPU milliseconds per sign-up of n
			// sign-ups and the live heap after them in MiB.
			window := func(n int) (gcMS, liveMiB float64) {
				gc0 := readMetric("/cpu/classes/gc/total:cpu-seconds")
				run(n)
				gc1 := readMetric("/cpu/classes/gc/total:cpu-seconds")
				return (gc1 - gc0) * 1000 / float64(n), readMetric("/gc/heap/live:bytes") / (1 << 20)
			}
			var first, last, live1, live2 float64
			for b.Loop() {
				first, live1 = window(gcWindow)
				run(gcTotal - 2*gcWindow)
				last, live2 = window(gcWindow)
			}
			b.ReportMetric(first, "gc-ms/signup@1k")
			b.ReportMetric(last, "gc-ms/signup@10k")
			b.ReportMetric(last/first, "gc-10k/1k")
			b.ReportMetric(live1, "live-MiB@1k")
			b.ReportMetric(live2, "live-MiB@10k")
			if r.limiter != nil {
				b.ReportMetric(float64(r.limiter.Len()), "limiter-keys")
			}
		})
	}
}

// readMetric reads one runtime/metrics value as a float64.
func readMetric(name string) float64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	switch s[0].Value.Kind() {
	case metrics.KindUint64:
		return float64(s[0].Value.Uint64())
	case metrics.KindFloat64:
		return s[0].Value.Float64()
	}
	panic(errors.New("runtime/metrics: no metric " + name))
}
