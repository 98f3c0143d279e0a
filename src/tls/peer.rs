//! Who is on the other end of an mTLS connection: the identity its client
//! certificate names, in the order service meshes and cert-manager issue
//! them: the first URI subject alternative name (a SPIFFE id such as
//! `spiffe://cluster.local/ns/shop/sa/checkout`), else the first DNS name,
//! else the subject's common name. The identity is the caller's id in the
//! clients file; the certificate chain itself was verified by rustls
//! against the client CA before this runs.

use x509_cert::Certificate;
use x509_cert::der::asn1::{ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use x509_cert::der::{Decode, oid::AssociatedOid};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// The subject's common name (X.520 `CN`).
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// The identity a client certificate (DER) names; None when it names none
/// or does not parse.
pub fn certificate_identity(der: &[u8]) -> Option<String> {
    let certificate = Certificate::from_der(der).ok()?;
    let names = alternative_names(&certificate);
    let first = |wanted: fn(&GeneralName) -> Option<String>| names.iter().find_map(wanted);
    first(|name| match name {
        GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
        _ => None,
    })
    .or_else(|| {
        first(|name| match name {
            GeneralName::DnsName(dns) => Some(dns.to_string()),
            _ => None,
        })
    })
    .or_else(|| common_name(&certificate))
    .filter(|identity| !identity.is_empty())
}

fn alternative_names(certificate: &Certificate) -> Vec<GeneralName> {
    certificate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|extension| extension.extn_id == SubjectAltName::OID)
        .filter_map(|extension| SubjectAltName::from_der(extension.extn_value.as_bytes()).ok())
        .flat_map(|names| names.0)
        .collect()
}

fn common_name(certificate: &Certificate) -> Option<String> {
    certificate
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|attribute| attribute.oid == COMMON_NAME)
        .find_map(|attribute| {
            attribute
                .value
                .decode_as::<Utf8StringRef<'_>>()
                .map(|text| text.as_str().to_owned())
                .or_else(|_| {
                    attribute
                        .value
                        .decode_as::<PrintableStringRef<'_>>()
                        .map(|text| text.as_str().to_owned())
                })
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    fn certificate(configure: impl FnOnce(&mut CertificateParams)) -> Vec<u8> {
        let mut params = CertificateParams::default();
        configure(&mut params);
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn a_uri_san_comes_before_dns_names_and_the_common_name() {
        let der = certificate(|params| {
            params
                .distinguished_name
                .push(DnType::CommonName, "cn-name");
            params.subject_alt_names = vec![
                SanType::DnsName("checkout.shop.svc".try_into().unwrap()),
                SanType::URI(
                    "spiffe://cluster.local/ns/shop/sa/checkout"
                        .try_into()
                        .unwrap(),
                ),
            ];
        });
        assert_eq!(
            certificate_identity(&der).as_deref(),
            Some("spiffe://cluster.local/ns/shop/sa/checkout")
        );
    }

    #[test]
    fn a_dns_name_then_the_common_name_stand_in() {
        let dns = certificate(|params| {
            params
                .distinguished_name
                .push(DnType::CommonName, "cn-name");
            params.subject_alt_names =
                vec![SanType::DnsName("checkout.shop.svc".try_into().unwrap())];
        });
        assert_eq!(
            certificate_identity(&dns).as_deref(),
            Some("checkout.shop.svc")
        );
        let cn = certificate(|params| {
            params
                .distinguished_name
                .push(DnType::CommonName, "checkout");
        });
        assert_eq!(certificate_identity(&cn).as_deref(), Some("checkout"));
    }

    #[test]
    fn no_name_or_no_certificate_is_no_identity() {
        let nameless = certificate(|params| {
            params.distinguished_name = rcgen::DistinguishedName::new();
        });
        assert_eq!(certificate_identity(&nameless), None);
        assert_eq!(certificate_identity(b"not a certificate"), None);
        assert_eq!(certificate_identity(&[]), None);
    }
}
