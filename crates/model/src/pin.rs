//! The six-digit PIN a customer reads to the agent.

use std::fmt;

/// Six decimal digits, drawn uniformly from the OS random source.
///
/// `Debug` never shows the digits: PINs must not reach logs.
/// `Display` shows them grouped for reading aloud ("482 913").
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pin(u32);

/// Why a string is not a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinError {
    /// Something other than digits, spaces or dashes.
    NotDigits,
    /// Not exactly six digits.
    WrongLength,
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinError::NotDigits => f.write_str("a PIN has only digits"),
            PinError::WrongLength => f.write_str("a PIN has exactly six digits"),
        }
    }
}

impl std::error::Error for PinError {}

impl Pin {
    pub const N_DIGITS: usize = 6;
    const SPACE: u32 = 1_000_000;

    /// A uniformly random PIN. Rejection sampling avoids the modulo bias of `u32 % 10^6`.
    pub fn generate() -> Pin {
        // The largest multiple of SPACE that fits in u32; draws at or above it are retried.
        let limit = u32::MAX - (u32::MAX % Self::SPACE);
        loop {
            let n = u32::from_le_bytes(crate::random::random_bytes::<4>());
            if n < limit {
                return Pin(n % Self::SPACE);
            }
        }
    }

    /// Accepts what people type: "482913", "482 913", "482-913", surrounding spaces.
    pub fn parse(s: &str) -> Result<Pin, PinError> {
        let mut value = 0u32;
        let mut n_digits = 0usize;
        for c in s.trim().chars() {
            match c {
                '0'..='9' => {
                    n_digits += 1;
                    if n_digits > Self::N_DIGITS {
                        return Err(PinError::WrongLength);
                    }
                    value = value * 10 + (c as u32 - '0' as u32);
                }
                ' ' | '-' | '\u{a0}' => {}
                _ => return Err(PinError::NotDigits),
            }
        }
        if n_digits != Self::N_DIGITS {
            return Err(PinError::WrongLength);
        }
        Ok(Pin(value))
    }

    /// The six digits without grouping, e.g. for hashing.
    pub fn digits(&self) -> String {
        format!("{:06}", self.0)
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03} {:03}", self.0 / 1000, self.0 % 1000)
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_read_aloud_friendly_and_never_debug_printed() {
        let pin = Pin::parse("004 213").unwrap();
        assert_eq!(pin.to_string(), "004 213");
        assert_eq!(pin.digits(), "004213");
        assert_eq!(format!("{pin:?}"), "Pin(******)");
    }

    #[test]
    fn parse_accepts_what_people_type() {
        for s in ["482913", "482 913", " 482-913 ", "48 29 13"] {
            assert_eq!(Pin::parse(s).unwrap().digits(), "482913", "{s}");
        }
        assert_eq!(Pin::parse("48291"), Err(PinError::WrongLength));
        assert_eq!(Pin::parse("4829134"), Err(PinError::WrongLength));
        assert_eq!(Pin::parse(""), Err(PinError::WrongLength));
        assert_eq!(Pin::parse("48291x"), Err(PinError::NotDigits));
        assert_eq!(Pin::parse("４８２９１３"), Err(PinError::NotDigits));
    }

    #[test]
    fn generated_pins_cover_the_space_without_obvious_bias() {
        let mut first_digit = [0u32; 10];
        let mut seen = std::collections::HashSet::new();
        let n = 20_000;
        for _ in 0..n {
            let pin = Pin::generate();
            assert!(pin.0 < 1_000_000);
            first_digit[(pin.0 / 100_000) as usize] += 1;
            seen.insert(pin.0);
        }
        // Each leading digit should get ~10%; 7%..13% is a > 10 sigma band for n = 20,000.
        for (d, count) in first_digit.iter().enumerate() {
            assert!((1400..=2600).contains(count), "digit {d} drawn {count} times");
        }
        // Birthday bound: ~200 collisions expected among 20,000 draws from 10^6.
        assert!(seen.len() > n - 500, "too many repeats: {}", n - seen.len());
    }
}
