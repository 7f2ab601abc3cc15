//! The pure core of tradewind: the trade's own vocabulary as types, with no I/O and no async.
//!
//! It owns the validated code newtypes ([`CountryCode`], [`CurrencyCode`], [`HsCode`],
//! [`Locode`], [`Lei`]), [`Money`], the eleven Incoterms 2020 rules ([`Incoterm`]),
//! organisations and the roles they play in trade ([`organization`]), and the hash-chained
//! audit trail ([`audit`]), the marketplace's listings, leads, quotes and explained matching
//! ([`marketplace`]), the readiness assessment ([`assessment`]), and the deal's orders,
//! double-entry escrow ledger and ISO 20022 payout files ([`deal`]), and transferable records
//! with their chain of title ([`title`]). Every other crate depends
//! on this one; it depends on none of them.

pub mod assessment;
pub mod audit;
pub mod codes;
pub mod customs;
pub mod deal;
pub mod documents;
pub mod exchange;
pub mod incoterm;
pub mod logistics;
pub mod marketplace;
pub mod money;
pub mod organization;
pub mod reference;
pub mod retail;
pub mod title;
pub mod validation;
pub mod webhook;

pub use codes::{CountryCode, CurrencyCode, HsCode, HsLevel, Lei, Locode};
pub use incoterm::Incoterm;
pub use money::Money;
pub use validation::{FieldError, ValidationErrors};
