//! The identity checks 12306 runs on every booking, shared by the
//! simulators so a number one refuses the other refuses too.

/// GB 11643 check digit of an 18-character resident id (and of the
/// residence permits for Hong Kong, Macao and Taiwan residents).
pub fn id18_is_valid(card_no: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = card_no.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK[(sum % 11) as usize] == bytes[17]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_check_digits() {
        assert!(id18_is_valid("11010519491231002X"));
        assert!(id18_is_valid("440524188001010014"));
        assert!(!id18_is_valid("110105194912310021"));
        assert!(!id18_is_valid("11010519491231002"));
        assert!(!id18_is_valid("1101051949123100AX"));
    }
}
