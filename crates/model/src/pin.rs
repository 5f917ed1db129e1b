//! The PIN a customer reads to the agent: six to nine digits, as the company chooses.

use std::fmt;

/// `MIN_DIGITS` to `MAX_DIGITS` decimal digits, drawn uniformly from the OS random source.
///
/// `Debug` never shows the digits: PINs must not reach logs.
/// `Display` shows them grouped for reading aloud ("482 913", "4829 1374").
/// Two PINs of different lengths are different PINs ("012345" is not "0012345").
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pin {
    value: u32,
    len: u8,
}

/// Why a string is not a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinError {
    /// Something other than digits, spaces or dashes.
    NotDigits,
    /// Fewer than `MIN_DIGITS` or more than `MAX_DIGITS` digits.
    WrongLength,
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinError::NotDigits => f.write_str("a PIN has only digits"),
            PinError::WrongLength => f.write_str("a PIN has six to nine digits"),
        }
    }
}

impl std::error::Error for PinError {}

impl Pin {
    /// The digits of the PINs beside makes unless a company says otherwise.
    pub const N_DIGITS: usize = 6;
    pub const MIN_DIGITS: usize = 6;
    pub const MAX_DIGITS: usize = 9;

    /// A uniformly random six-digit PIN.
    pub fn generate() -> Pin {
        Pin::generate_with(Self::N_DIGITS)
    }

    /// A uniformly random PIN of `digits` digits (clamped to `MIN_DIGITS..=MAX_DIGITS`).
    /// Rejection sampling avoids the modulo bias of `u32 % 10^n`.
    pub fn generate_with(digits: usize) -> Pin {
        let len = digits.clamp(Self::MIN_DIGITS, Self::MAX_DIGITS);
        let space = 10u32.pow(len as u32);
        // The largest multiple of the space that fits in u32; draws at or above it are retried.
        let limit = u32::MAX - (u32::MAX % space);
        loop {
            let n = u32::from_le_bytes(crate::random::random_bytes::<4>());
            if n < limit {
                return Pin { value: n % space, len: len as u8 };
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
                    if n_digits > Self::MAX_DIGITS {
                        return Err(PinError::WrongLength);
                    }
                    value = value * 10 + (c as u32 - '0' as u32);
                }
                ' ' | '-' | '\u{a0}' => {}
                _ => return Err(PinError::NotDigits),
            }
        }
        if n_digits < Self::MIN_DIGITS {
            return Err(PinError::WrongLength);
        }
        Ok(Pin { value, len: n_digits as u8 })
    }

    /// The digits without grouping, e.g. for hashing.
    pub fn digits(&self) -> String {
        format!("{:0width$}", self.value, width = usize::from(self.len))
    }

    /// How many digits it has.
    pub fn n_digits(&self) -> usize {
        usize::from(self.len)
    }
}

impl fmt::Display for Pin {
    /// Groups of three, or of four for seven and eight digits ("4829 137").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        let first = match digits.len() {
            7 | 8 => 4,
            _ => 3,
        };
        let (head, tail) = digits.split_at(first);
        f.write_str(head)?;
        for group in tail.as_bytes().chunks(first) {
            f.write_str(" ")?;
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
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
        assert_eq!(Pin::parse("4829134567"), Err(PinError::WrongLength));
        assert_eq!(Pin::parse("4829 137").unwrap().digits(), "4829137");
        assert_ne!(Pin::parse("012345"), Pin::parse("0012345"), "lengths tell PINs apart");
        assert_eq!(Pin::parse(""), Err(PinError::WrongLength));
        assert_eq!(Pin::parse("48291x"), Err(PinError::NotDigits));
        assert_eq!(Pin::parse("４８２９１３"), Err(PinError::NotDigits));
    }

    #[test]
    fn longer_pins_are_grouped_for_reading_aloud() {
        for (digits, shown) in
            [(6, "012 345"), (7, "0123 456"), (8, "0123 4567"), (9, "012 345 678")]
        {
            let pin = Pin::parse(&"012345678"[..digits]).unwrap();
            assert_eq!((pin.n_digits(), pin.to_string().as_str()), (digits, shown));
            assert_eq!(Pin::parse(shown), Ok(pin));
            assert_eq!(Pin::generate_with(digits).digits().len(), digits);
        }
    }

    #[test]
    fn generated_pins_cover_the_space_without_obvious_bias() {
        let mut first_digit = [0u32; 10];
        let mut seen = std::collections::HashSet::new();
        let n = 20_000;
        for _ in 0..n {
            let pin = Pin::generate();
            assert!(pin.value < 1_000_000);
            first_digit[(pin.value / 100_000) as usize] += 1;
            seen.insert(pin.value);
        }
        // Each leading digit should get ~10%; 7%..13% is a > 10 sigma band for n = 20,000.
        for (d, count) in first_digit.iter().enumerate() {
            assert!((1400..=2600).contains(count), "digit {d} drawn {count} times");
        }
        // Birthday bound: ~200 collisions expected among 20,000 draws from 10^6.
        assert!(seen.len() > n - 500, "too many repeats: {}", n - seen.len());
    }
}
