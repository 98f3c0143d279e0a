//! The identity checks 12306 runs on every booking, shared by the
//! simulators so a number one refuses the other refuses too.

/// GB 11643 check digit of an 18-character resident id (and of the
/// residence permits for Hong Kong, Macao and Taiwan residents).
pub fn id18_is_valid(card_no: &str) -> bool {
    let bytes = card_no.as_bytes();
    bytes.len() == 18
        && card_no
            .get(..17)
            .and_then(id18_check_digit)
            .is_some_and(|check| u32::from(check) == u32::from(bytes[17]))
}

/// The check digit (`0`–`9` or `X`) completing 17 digits into a valid
/// 18-character id; `None` unless given exactly 17 ASCII digits.
pub fn id18_check_digit(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
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
        assert!(!id18_is_valid("110105194912310中"));
        assert_eq!(id18_check_digit("11010519491231002"), Some('X'));
        assert_eq!(id18_check_digit("1101051949123100"), None);
    }
}
