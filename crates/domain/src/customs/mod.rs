//! Customs, the government side of the single window, as pure rules. [`duty`] computes the
//! duty a measure levies (ad valorem, specific, compound, mixed); [`tariff`] reads and
//! validates an economy's tariff schedule (lines by HS code and date, preferential agreements
//! and proofs of origin, import tax, de minimis, entry fees); [`landed_cost`] values a
//! shipment for customs (CIF or FOB, by Incoterm), and adds up duty, excise, import tax and
//! fees with every step explained, including for delivered-duty-paid retail parcels;
//! [`origin`] decides preferential origin from a bill of materials under each agreement's
//! rules; [`risk`] selects a lane; [`clearance`] is a declaration's life from selection to
//! release; [`agencies`] says which other agencies must approve; [`reconciliation`] matches
//! cargo manifests with declarations; [`drawback`] refunds duty on re-exported goods without
//! claiming anything twice; [`time_release`] gives the WCO Time Release Study figures;
//! [`submission`] runs a lodged declaration through all of it.

pub mod agencies;
pub mod clearance;
pub mod drawback;
pub mod duty;
pub mod landed_cost;
pub mod origin;
pub mod reconciliation;
pub mod risk;
pub mod submission;
pub mod tariff;
pub mod time_release;
