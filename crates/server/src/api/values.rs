//! The domain's closed sets as the API spells them: each enum here has the variants of a
//! core or store enum, its `ToSchema`, and `From` both ways. The matches are exhaustive,
//! so a variant added to the domain does not compile until the API names it, and the
//! spelling on the wire is decided here, not by the domain type.

use advocate_core as core;
use advocate_store as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares the API's enum `$name` for the domain enum `$domain`, with the same variants.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident = $($domain:ident)::+ {
            $($(#[$vmeta:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl From<$($domain)::+> for $name {
            fn from(v: $($domain)::+) -> Self {
                use $($domain)::+ as Domain;
                match v {
                    $(Domain::$variant => Self::$variant),+
                }
            }
        }

        impl From<$name> for $($domain)::+ {
            fn from(v: $name) -> Self {
                use $($domain)::+ as Domain;
                match v {
                    $($name::$variant => Domain::$variant),+
                }
            }
        }
    };
}

/// `From` both ways between an API body and the domain struct it mirrors, field by field:
/// a plain field moves as it is, `into` converts it, `each` converts a list item by item.
/// A field added on either side fails to compile until it is named here.
macro_rules! mirror_fields {
    ($body:ty, $domain:ty { $($field:ident $(: $how:ident)?),+ $(,)? }) => {
        impl From<$domain> for $body {
            fn from(x: $domain) -> Self {
                Self { $($field: mirror_fields!(@convert x.$field $(, $how)?)),+ }
            }
        }

        impl From<$body> for $domain {
            fn from(x: $body) -> Self {
                Self { $($field: mirror_fields!(@convert x.$field $(, $how)?)),+ }
            }
        }
    };
    (@convert $value:expr) => { $value };
    (@convert $value:expr, into) => { $value.into() };
    (@convert $value:expr, each) => { $value.into_iter().map(Into::into).collect() };
}
pub(crate) use mirror_fields;

wire_enum! {
    /// What a survey measures, which fixes its scale.
    #[serde(rename_all = "lowercase")]
    SurveyKind = core::SurveyKind { Nps, Enps, Csat }
}

wire_enum! {
    /// Whether a survey takes answers: only an `active` one does; a `paused` one may be
    /// reactivated, an `archived` one is kept for its answers.
    #[serde(rename_all = "lowercase")]
    SurveyStatus = core::SurveyStatus { Active, Paused, Archived }
}

wire_enum! {
    /// How an answer reached Advocate.
    #[serde(rename_all = "lowercase")]
    Channel = core::Channel { Email, Sms, Web, Widget, Kiosk, Api, Import }
}

wire_enum! {
    /// Where a customer contact happened. `self_service` covers FAQ pages and help
    /// centres; `social` covers social-media messages and posts.
    #[serde(rename_all = "snake_case")]
    ContactChannel = core::ContactChannel {
        Email, Chat, Phone, Social, Sms, Chatbot, Video, Forum, Meeting, SelfService,
    }
}

wire_enum! {
    /// Promoter 9–10, passive 7–8, detractor 0–6.
    #[serde(rename_all = "lowercase")]
    Category = core::Category { Promoter, Passive, Detractor }
}

wire_enum! {
    /// Which 95 % interval to compute.
    #[serde(rename_all = "snake_case")]
    CiMethod = core::CiMethod { Wald, AdjustedWald }
}

wire_enum! {
    /// How urgently a detractor must be contacted.
    #[serde(rename_all = "lowercase")]
    Priority = core::Priority { Critical, High, Medium, Normal }
}

wire_enum! {
    /// What a promoter is offered; each becomes a tracked engagement.
    #[serde(rename_all = "snake_case")]
    EngagementKind = core::EngagementKind {
        ThankYou, DiscountCode, ReviewRequest, PanelInvitation, Reward, VipMembership,
    }
}

wire_enum! {
    /// A person's role in one workspace.
    #[serde(rename_all = "snake_case")]
    Role = core::Role {
        /// Everything, including settings, users and API keys.
        Admin,
        /// All analytics and all cases and customers, exports; no settings.
        Manager,
        /// Account manager or support agent: their own customers and cases, no exports.
        Agent,
        /// Dashboards only.
        Viewer,
    }
}

wire_enum! {
    /// What an API key may do.
    #[serde(rename_all = "snake_case")]
    Scope = core::Scope {
        /// Send answers, customers, events, business data and invitations in.
        Ingest,
        /// Read reports, customers, cases and exports.
        Read,
        /// Everything.
        Admin,
    }
}

wire_enum! {
    /// Where a case is in its life.
    #[serde(rename_all = "lowercase")]
    CaseStatus = advocate_core::case::CaseStatus { Open, Contacted, Resolved, Closed }
}

wire_enum! {
    /// How a resolved case ended.
    #[serde(rename_all = "snake_case")]
    Outcome = advocate_core::case::Outcome {
        Recovered,
        NotRecovered,
        Unreachable,
        /// Set by Advocate only: the detractor changed their score to a passive or promoter
        /// one before anyone worked the case, which was closed (see `advocate_core::rescore`).
        Withdrawn,
    }
}

wire_enum! {
    /// Where an engagement is. `queued` → `sent` → an outcome; an outcome is final.
    #[serde(rename_all = "snake_case")]
    EngagementStatus = store::closed_loop::engagements::EngagementStatus {
        Queued,
        Sent,
        Accepted,
        Declined,
        ReviewLeft,
        /// Withdrawn before it was sent: the promoter changed their score below 9.
        Cancelled,
    }
}

wire_enum! {
    /// Where a discount code is.
    #[serde(rename_all = "snake_case")]
    CodeStatus = store::closed_loop::engagements::CodeStatus {
        /// In the pool, not given to anyone yet.
        Free,
        /// Given to a promoter, not redeemed yet.
        Assigned,
        Redeemed,
    }
}

wire_enum! {
    #[serde(rename_all = "snake_case")]
    InvitationStatus = store::invitations::InvitationStatus {
        /// Waiting for its send time.
        Scheduled,
        /// Handed to its channel (or, for web links and the widget, handed out).
        Sent,
        /// Not sent, for `skip_reason`.
        Skipped,
        /// Withdrawn before sending (the customer unsubscribed).
        Cancelled,
    }
}

wire_enum! {
    /// Why a customer was not invited.
    #[serde(rename_all = "snake_case")]
    SkipReason = store::invitations::SkipReason {
        Unsubscribed,
        NoEmail,
        NoPhone,
        /// Invited or answered within the workspace's quiet period.
        QuietPeriod,
        /// Not in the sample drawn for this send.
        SampledOut,
        /// Another invitation is already waiting to be sent to this customer.
        AlreadyScheduled,
        /// Its send time passed so long ago that the link would already have expired.
        Expired,
        /// The survey is paused or archived.
        SurveyClosed,
    }
}

wire_enum! {
    /// What created an invitation.
    #[serde(rename_all = "snake_case")]
    Source = store::invitations::Source { Manual, Schedule, Event, Widget }
}

wire_enum! {
    /// What an anonymous detractor answer sets off.
    #[serde(rename_all = "lowercase")]
    AnonymousDetractors = store::models::AnonymousDetractors {
        /// No case: nobody can be contacted. The answer is flagged for review in the comment
        /// stream and counted as "anonymous — learn, can't contact".
        Review,
        /// A case whose steps are about learning from the answer, none about contacting.
        Case,
    }
}

wire_enum! {
    /// How a message travels.
    #[serde(rename_all = "lowercase")]
    MessageKind = store::delivery::outbox::MessageKind { Email, Slack, Teams, Webhook, Sms }
}

wire_enum! {
    /// Where a message is in its life.
    #[serde(rename_all = "lowercase")]
    OutboxStatus = store::delivery::outbox::OutboxStatus {
        /// Waiting for its first or next attempt.
        Pending,
        Delivered,
        /// Failed too often; kept, visible and re-drivable.
        Dead,
    }
}

wire_enum! {
    /// What deleting an endpoint did: an endpoint with messages keeps its row (the outbox
    /// refers to it, and its history stays readable) and is only deactivated.
    #[serde(rename_all = "lowercase")]
    WebhookRemoval = store::delivery::webhooks::WebhookRemoval { Deleted, Deactivated }
}

wire_enum! {
    #[serde(rename_all = "snake_case")]
    LifecycleKind = store::business::LifecycleKind {
        /// Became a customer, or came back after churning.
        Acquired,
        Churned,
    }
}

wire_enum! {
    #[serde(rename_all = "snake_case")]
    LoyaltyKind = store::business::LoyaltyKind { Joined, Left }
}

/// A language as its primary subtag, lower-case: "nb-NO" and "NB" are both "nb".
/// The legacy "no" (Norwegian) is read as "nb" (bokmål).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Language(String);

impl From<core::Language> for Language {
    fn from(l: core::Language) -> Self {
        Self(l.into())
    }
}

wire_enum! {
    /// Where a person's alerts go.
    #[serde(rename_all = "lowercase")]
    AlertChannel = core::alerts::AlertChannel {
        /// To the person's own address.
        Email,
        /// A Slack incoming webhook (Block Kit).
        Slack,
        /// A Microsoft Teams incoming webhook (Adaptive Card).
        Teams,
        /// Any HTTP receiver: the answers as JSON, unsigned.
        Webhook,
    }
}
