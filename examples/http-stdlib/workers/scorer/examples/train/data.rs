//! Synthetic card payments with a known risk function, drawn from a seeded
//! generator so every run yields the same data (and the same model).

/// Numeric inputs: (name, reason code).
pub const NUMERIC: [(&str, &str); 6] = [
    ("amount", "AMOUNT_HIGH"),
    ("account_age_days", "ACCOUNT_NEW"),
    ("txn_count_24h", "VELOCITY_HIGH"),
    ("avg_amount_30d", "SPEND_PATTERN_UNUSUAL"),
    ("distance_from_home_km", "FAR_FROM_HOME"),
    ("hour_of_day", "UNUSUAL_HOUR"),
];

/// A categorical input and the ground truth behind it.
pub struct Categorical {
    pub name: &'static str,
    pub reason_code: &'static str,
    /// (value, share of payments, log-odds it adds to the fraud risk).
    pub categories: &'static [(&'static str, f64, f64)],
}

pub const CATEGORICAL: [Categorical; 3] = [
    Categorical {
        name: "country",
        reason_code: "COUNTRY_RISK",
        categories: &[
            ("US", 0.40, 0.0),
            ("GB", 0.12, -0.1),
            ("DE", 0.10, -0.3),
            ("FR", 0.08, -0.1),
            ("CA", 0.07, -0.2),
            ("BR", 0.06, 0.5),
            ("IN", 0.05, 0.3),
            ("MX", 0.04, 0.4),
            ("CN", 0.03, 0.4),
            ("NG", 0.03, 1.3),
            ("RU", 0.02, 1.1),
        ],
    },
    Categorical {
        name: "channel",
        reason_code: "CHANNEL_RISK",
        categories: &[("pos", 0.45, -0.6), ("web", 0.35, 0.5), ("app", 0.20, 0.1)],
    },
    Categorical {
        name: "merchant_category",
        reason_code: "MERCHANT_CATEGORY_RISK",
        categories: &[
            ("grocery", 0.22, -0.7),
            ("restaurants", 0.16, -0.5),
            ("retail", 0.16, 0.0),
            ("fuel", 0.10, -0.3),
            ("pharmacy", 0.07, -0.4),
            ("travel", 0.07, 0.4),
            ("electronics", 0.08, 0.7),
            ("digital_goods", 0.08, 0.9),
            ("gambling", 0.03, 1.2),
            ("jewelry", 0.03, 0.8),
        ],
    },
];

/// One labelled payment; `None` is a missing feature.
#[derive(Debug, Clone)]
pub struct Sample {
    pub numeric: [Option<f64>; NUMERIC.len()],
    /// Index into the feature's category list.
    pub categorical: [Option<usize>; CATEGORICAL.len()],
    pub fraud: bool,
    /// The ground-truth log-odds the label was drawn from: the best any
    /// model could do, for comparison.
    pub true_logit: f64,
}

/// SplitMix64: tiny, fast and fully specified, so runs are reproducible
/// without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        // Box-Muller; 1 - u keeps the log argument above zero.
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        mean + sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    fn weighted(&mut self, weights: impl Iterator<Item = f64> + Clone) -> usize {
        let total: f64 = weights.clone().sum();
        let mut target = self.uniform() * total;
        let mut last = 0;
        for (i, w) in weights.enumerate() {
            if target < w {
                return i;
            }
            target -= w;
            last = i;
        }
        last
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// Draws one payment and its label from the ground-truth risk function.
pub fn sample(rng: &mut Rng) -> Sample {
    let age = rng.normal(5.6, 1.5).exp().floor().min(7300.0);
    let avg = round_to(rng.normal(3.6, 0.7).exp(), 2);
    // Most payments sit near the customer's usual spend; fraud-like spikes
    // come from the heavy tail.
    let amount = round_to((avg * rng.normal(0.0, 0.7).exp()).max(0.5), 2);
    let txns = rng.normal(1.0, 0.8).exp().floor().min(60.0);
    let distance = round_to(rng.normal(2.0, 1.6).exp(), 1).min(20_000.0);
    let hour_weights = (0..24).map(|h| if (1..=5).contains(&h) { 0.4 } else { 1.0 });
    let hour = rng.weighted(hour_weights) as f64;
    let categorical: [usize; CATEGORICAL.len()] =
        std::array::from_fn(|i| rng.weighted(CATEGORICAL[i].categories.iter().map(|c| c.1)));

    let risk = |feature: usize| CATEGORICAL[feature].categories[categorical[feature]].2;
    let mut logit = -4.3
        + 1.0 * (amount / avg).ln().clamp(-1.0, 3.0)
        + 0.3 * (1.0 + amount / 100.0).ln()
        + match age {
            a if a < 7.0 => 1.8,
            a if a < 30.0 => 1.1,
            a if a < 180.0 => 0.4,
            _ => 0.0,
        }
        + (0.2 * (txns - 4.0).max(0.0)).min(2.0)
        + match distance {
            d if d > 1000.0 => 1.3,
            d if d > 200.0 => 0.8,
            d if d > 50.0 => 0.3,
            _ => 0.0,
        }
        + if hour <= 5.0 { 0.8 } else { 0.0 }
        + risk(0)
        + risk(1)
        + risk(2);
    // Card-not-present digital goods are the classic fraud combination.
    let is = |feature: usize, name: &str| {
        CATEGORICAL[feature].categories[categorical[feature]].0 == name
    };
    if is(1, "web") && is(2, "digital_goods") {
        logit += 0.6;
    }
    let fraud = rng.chance(1.0 / (1.0 + (-logit).exp()));

    // New accounts often have no 30-day history yet, so missing is itself a signal.
    let avg_missing = if age < 30.0 { 0.6 } else { 0.03 };
    let mut numeric = [amount, age, txns, avg, distance, hour].map(Some);
    for (i, value) in numeric.iter_mut().enumerate() {
        let p = if i == 3 { avg_missing } else { 0.03 };
        if rng.chance(p) {
            *value = None;
        }
    }
    let categorical = categorical.map(|c| (!rng.chance(0.02)).then_some(c));
    Sample {
        numeric,
        categorical,
        fraud,
        true_logit: logit,
    }
}
