/* Floating point: an n-body simulation (the five outer-planet bodies, the
 * classic benchmark's constants) in double precision with sqrt and division,
 * a matrix multiply accumulated with fused multiply-adds, and a single-
 * precision pass (sqrtf, fmaf, conversions). Built for rv64gc / lp64d (see
 * build.mjs: FP programs). Results are printed as raw bits and as scaled
 * integers, so any difference in rounding shows. */
#include "rt.h"

typedef double f64;
typedef float f32;

#define BODIES 5
#define STEPS 20000
#define MAT 40
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

struct body { f64 x, y, z, vx, vy, vz, mass; };

static struct body bodies[BODIES] = {
  {0, 0, 0, 0, 0, 0, SOLAR_MASS},
  {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS_PER_YEAR,
   7.69901118419740425e-03 * DAYS_PER_YEAR, -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
  {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS_PER_YEAR,
   4.99852801234917238e-03 * DAYS_PER_YEAR, 2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
  {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS_PER_YEAR,
   2.37847173959480950e-03 * DAYS_PER_YEAR, -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
  {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS_PER_YEAR,
   1.62824170038242295e-03 * DAYS_PER_YEAR, -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static u64 bits64(f64 v) {
  union { f64 f; u64 u; } c;
  c.f = v;
  return c.u;
}
static u32 bits32(f32 v) {
  union { f32 f; u32 u; } c;
  c.f = v;
  return c.u;
}

static void offset_momentum(void) {
  f64 px = 0, py = 0, pz = 0;
  for (int i = 0; i < BODIES; i++) {
    px += bodies[i].vx * bodies[i].mass;
    py += bodies[i].vy * bodies[i].mass;
    pz += bodies[i].vz * bodies[i].mass;
  }
  bodies[0].vx = -px / SOLAR_MASS;
  bodies[0].vy = -py / SOLAR_MASS;
  bodies[0].vz = -pz / SOLAR_MASS;
}

static f64 energy(void) {
  f64 e = 0;
  for (int i = 0; i < BODIES; i++) {
    struct body *b = &bodies[i];
    e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < BODIES; j++) {
      struct body *c = &bodies[j];
      f64 dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      e -= b->mass * c->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(f64 dt) {
  for (int i = 0; i < BODIES; i++) {
    struct body *b = &bodies[i];
    for (int j = i + 1; j < BODIES; j++) {
      struct body *c = &bodies[j];
      f64 dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
      f64 d2 = dx * dx + dy * dy + dz * dz;
      f64 mag = dt / (d2 * __builtin_sqrt(d2));
      b->vx -= dx * c->mass * mag;
      b->vy -= dy * c->mass * mag;
      b->vz -= dz * c->mass * mag;
      c->vx += dx * b->mass * mag;
      c->vy += dy * b->mass * mag;
      c->vz += dz * b->mass * mag;
    }
  }
  for (int i = 0; i < BODIES; i++) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}

static f64 ma[MAT][MAT], mb[MAT][MAT], mc[MAT][MAT];

/* A double in [-1, 1) from the PRNG: 53 random bits, exactly. */
static f64 rng_double(void) { return (f64)(long)(rng_next() >> 11) * 0x1p-52 - 1.0; }

static void put_signed(long v) {
  if (v < 0) { put_str("-"); put_dec((u64)-v); } else put_dec((u64)v);
}

int main(void) {
  offset_momentum();
  f64 e0 = energy();
  for (int s = 0; s < STEPS; s++) advance(0.01);
  f64 e1 = energy();
  put_str("nbody: energy ");
  put_hex(bits64(e0), 16);
  put_str(" -> ");
  put_hex(bits64(e1), 16);
  put_str(" (x1e9: ");
  put_signed((long)(e0 * 1e9));
  put_str(" -> ");
  put_signed((long)(e1 * 1e9));
  put_str(")\n");

  for (int i = 0; i < MAT; i++)
    for (int j = 0; j < MAT; j++) { ma[i][j] = rng_double(); mb[i][j] = rng_double(); }
  u64 check = 0;
  for (int i = 0; i < MAT; i++) {
    for (int j = 0; j < MAT; j++) {
      f64 acc = 0;
      for (int k = 0; k < MAT; k++) acc = __builtin_fma(ma[i][k], mb[k][j], acc);
      mc[i][j] = acc;
      check = (check * 31) ^ bits64(acc);
    }
  }
  put_str("matmul: ");
  put_hex(check, 16);
  put_str(" c[7][9] x1e12: ");
  put_signed((long)(mc[7][9] * 1e12));
  put_str("\n");

  f32 sum = 0, norm = 0;
  for (int i = 0; i < 4096; i++) {
    f32 v = (f32)(int)(rng_next() >> 40) * 0x1p-20f - 8.0f;
    sum = __builtin_fmaf(v, 0.125f, sum);
    norm += __builtin_sqrtf(v * v + 1.0f) / (1.0f + (f32)i);
  }
  put_str("float: ");
  put_hex(bits32(sum), 8);
  put_str(" ");
  put_hex(bits32(norm), 8);
  put_str(" ");
  put_signed((long)(norm * 1000.0f));
  put_str(" ");
  put_dec((u64)(unsigned)(sum * 1000.0f));
  put_str("\n");
  return 0;
}
