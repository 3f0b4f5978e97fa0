//! Money as a type: integer nano-dollars (1e-9 USD), so that a campaign's cost is an exact
//! sum of its parts and no float rounding ever drifts a budget check.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

/// An amount of US dollars, stored as nano-dollars. Serialised as the integer number of
/// nano-dollars (the stored form); [`Money::usd`] gives dollars for display.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

const NANOS_PER_USD: f64 = 1e9;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_nanos(nanos: i64) -> Money {
        Money(nanos)
    }

    /// Dollars to money, rounded to the nearest nano-dollar; `None` for NaN, infinities
    /// and amounts beyond ±9.2 billion dollars.
    pub fn from_usd(usd: f64) -> Option<Money> {
        let n = (usd * NANOS_PER_USD).round();
        (n.is_finite() && n.abs() < i64::MAX as f64).then_some(Money(n as i64))
    }

    /// Like [`Money::from_usd`], saturating instead of failing (prices from a table).
    pub fn from_usd_saturating(usd: f64) -> Money {
        Money::from_usd(usd).unwrap_or(if usd.is_sign_negative() {
            Money(i64::MIN)
        } else {
            Money(i64::MAX)
        })
    }

    pub const fn nanos(self) -> i64 {
        self.0
    }

    pub fn usd(self) -> f64 {
        self.0 as f64 / NANOS_PER_USD
    }

    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub fn saturating_mul(self, n: u64) -> Money {
        Money(self.0.saturating_mul(i64::try_from(n).unwrap_or(i64::MAX)))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        self.saturating_add(rhs)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = self.saturating_add(rhs);
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Money::saturating_add)
    }
}

impl fmt::Display for Money {
    /// `$0.1234` below a dollar (four decimals, so per-target costs stay readable),
    /// `$12.34` from a dollar up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let usd = self.usd();
        if usd.abs() < 1.0 {
            write!(f, "${usd:.4}")
        } else {
            write!(f, "${usd:.2}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_display_is_readable() {
        let parts = [Money::from_usd(0.1), Money::from_usd(0.2)];
        let total: Money = parts.iter().flatten().copied().sum();
        assert_eq!(total, Money::from_nanos(300_000_000));
        assert_eq!(total.to_string(), "$0.3000");
        assert_eq!(
            Money::from_usd(12.345).map(|m| m.to_string()).as_deref(),
            Some("$12.35")
        );
        assert_eq!(Money::from_usd(f64::NAN), None);
        assert_eq!(
            serde_json::to_string(&Money::from_nanos(5)).ok().as_deref(),
            Some("5")
        );
        assert_eq!(
            Money::from_nanos(i64::MAX) + Money::from_nanos(1),
            Money::from_nanos(i64::MAX)
        );
    }
}
