use super::*;

fn mail(raw: &[u8]) -> InboundMail {
    parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

const GMAIL_REPLY: &[u8] = b"Return-Path: <anna.hansen@example.com>\r
Delivered-To: c12-w3-abcdefghijklmnop@replies.acme.test\r
From: Anna Hansen <Anna.Hansen@Example.com>\r
To: Acme Support <C12-w3-abcdefghijklmnop@replies.acme.test>\r
Cc: boss@example.com\r
Subject: Re: I am sorry \xe2\x80\x93 can we\r
 talk today?\r
Date: Tue, 1 Dec 2026 11:02:03 +0100\r
Message-ID: <CAF1234abcd@mail.gmail.com>\r
In-Reply-To: <case-12.0123456789abcdef@replies.acme.test>\r
References: <case-12.0000000000000001@replies.acme.test>\r
 <case-12.0123456789abcdef@replies.acme.test>\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset=\"UTF-8\"\r
Content-Transfer-Encoding: 8bit\r
\r
Yes, please call me tomorrow at 10 \xe2\x80\x94 my number is 555 1234.\r
\r
Anna\r
\r
On Mon, 30 Nov 2026 at 10:00, Kari Nordmann <kari@acme.test> wrote:\r
> Hello Anna,\r
>\r
> I would like to call you today.\r
>\r
> Kind regards,\r
> Kari Nordmann, Acme\r
";

#[test]
fn a_plain_reply_with_a_gmail_quote() {
    let m = mail(GMAIL_REPLY);
    assert_eq!(m.from, "anna.hansen@example.com");
    assert_eq!(m.from_name.as_deref(), Some("Anna Hansen"));
    assert_eq!(m.subject, "Re: I am sorry \u{2013} can we talk today?");
    assert_eq!(m.message_id.as_deref(), Some("CAF1234abcd@mail.gmail.com"));
    assert_eq!(
        m.in_reply_to,
        ["case-12.0123456789abcdef@replies.acme.test"]
    );
    assert_eq!(
        m.references,
        [
            "case-12.0000000000000001@replies.acme.test",
            "case-12.0123456789abcdef@replies.acme.test"
        ]
    );
    assert_eq!(
        m.recipients,
        [
            "c12-w3-abcdefghijklmnop@replies.acme.test",
            "boss@example.com"
        ],
        "lowercased, each once"
    );
    assert_eq!(
        m.reply,
        "Yes, please call me tomorrow at 10 \u{2014} my number is 555 1234.\n\nAnna"
    );
    assert!(m.text.contains("> I would like to call you today."));
    assert!(!m.text.contains('\r'));
    assert_eq!(m.nature, Nature::Reply);
    assert_eq!(m.size, GMAIL_REPLY.len());
    assert!(m.attachments.is_empty());
}

#[test]
fn iso_8859_1_body_and_encoded_subject_are_decoded() {
    let raw = b"From: =?iso-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>\n\
To: c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test\n\
Subject: =?iso-8859-1?Q?Re:_Gr=FC=DFe_aus_M=FCnchen?=\n\
Message-ID: <1@example.de>\n\
Content-Type: text/plain; charset=ISO-8859-1\n\
Content-Transfer-Encoding: 8bit\n\
\n\
Danke f\xfcr den Anruf.\n\
\n\
Viele Gr\xfc\xdfe\n\
J\xfcrgen\n";
    let m = mail(raw);
    assert_eq!(m.subject, "Re: Grüße aus München");
    assert_eq!(m.from_name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(m.reply, "Danke für den Anruf.\n\nViele Grüße\nJürgen");
}

#[test]
fn windows_1252_body_is_decoded() {
    let raw = b"From: kunde@example.nl\n\
Subject: Prijs\n\
Content-Type: text/plain; charset=windows-1252\n\
\n\
De prijs was \x80 10 \x96 \x93te duur\x94.\n";
    assert_eq!(mail(raw).text.trim(), "De prijs was € 10 – “te duur”.");
}

#[test]
fn utf8_base64_subject_and_name_are_decoded() {
    let raw = b"From: =?utf-8?B?QmrDuHJuIMOGcsO4?= <bjorn@example.no>\n\
Subject: =?utf-8?B?U3ZhcjogVGFrayBmb3IgdGlsYmFrZW1lbGRpbmdlbiDigJMgaGlsc2VuIGZyYSBUcm9tc8O4?=\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
Hei!\n";
    let m = mail(raw);
    assert_eq!(m.from_name.as_deref(), Some("Bjørn Ærø"));
    assert_eq!(m.from, "bjorn@example.no");
    assert_eq!(
        m.subject,
        "Svar: Takk for tilbakemeldingen – hilsen fra Tromsø"
    );
}

#[test]
fn multipart_alternative_uses_the_plain_part_once() {
    let raw = b"From: a@example.com\n\
Subject: Re: hello\n\
MIME-Version: 1.0\n\
Content-Type: multipart/alternative; boundary=\"alt\"\n\
\n\
--alt\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
The plain words.\n\
--alt\n\
Content-Type: text/html; charset=utf-8\n\
\n\
<p>The <b>HTML</b> words.</p>\n\
--alt--\n";
    let m = mail(raw);
    assert_eq!(m.text.trim(), "The plain words.");
    assert_eq!(m.reply, "The plain words.");
    assert!(m.attachments.is_empty());
}

#[test]
fn html_only_mail_is_turned_into_text_and_its_quote_cut() {
    let raw = b"From: a@example.com\n\
Subject: Re: hello\n\
Content-Type: text/html; charset=utf-8\n\
\n\
<html><head><style>p { color: red; }</style><script>alert('x')</script></head>\
<body><div dir=\"ltr\">Fish &amp; chips were cold.</div><div>Second line<br>third line</div>\
<p>A paragraph &lt;here&gt;.</p>\
<div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, 30 Nov 2026 at 10:00, Kari &lt;kari@acme.test&gt; wrote:<br></div>\
<blockquote class=\"gmail_quote\"><div>Hello Anna, we are sorry.</div></blockquote></div></body></html>\n";
    let m = mail(raw);
    for absent in ["<div", "<p", "<br", "color: red", "alert", "&amp;"] {
        assert!(!m.text.contains(absent), "{absent:?} in {:?}", m.text);
    }
    let lines: Vec<&str> = m.reply.lines().map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "Fish & chips were cold.",
            "Second line",
            "third line",
            "A paragraph <here>."
        ],
        "{:?}",
        m.reply
    );
    assert!(m.text.contains("Hello Anna, we are sorry."));
}

#[test]
fn attachments_are_listed_not_kept() {
    let raw = b"From: a@example.com\n\
Subject: Re: invoice\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"mix\"\n\
\n\
--mix\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
The invoice is attached.\n\
--mix\n\
Content-Type: application/pdf; name=\"invoice.pdf\"\n\
Content-Disposition: attachment; filename=\"invoice.pdf\"\n\
Content-Transfer-Encoding: base64\n\
\n\
JVBERi0xLjQKRCCCPP3m8cJrMPkOx90B5Ih1NKIPCw0Ew27YDnHg/XewdnDrlAvVM1+XParYYZuR\n\
/8kR9XzO1Fi7vyzgN1PJvfoP8BadyVdWdAZmds+wtOuJAsRCadoc9rpm0/i21LEAqeoOdVpcLoIQ\n\
JCoI5wePf4k4XrCUI1VRglaLluik/vI6DJ/Fr9dghDeBa90KcwnLShJS5Npw5nIPyqTaHphAbBic\n\
JCeemFHVgUIEE2/rVxPBZrEyad1j/DXHl/8Ips2QCVBmp0Wt222IMcKw+HghFCtEVlVtiaqCvK2u\n\
OpV4+kU1pBTQJcJLQK46wSdyKYi6lzrqjTcXlwYHLtM6FGB611I75lV7UTTewZaB9KEzaqIUDQWX\n\
o+bIoMwgIKLpOYBu8LaE\n\
--mix--\n";
    let m = mail(raw);
    assert_eq!(m.reply, "The invoice is attached.");
    assert_eq!(
        m.attachments,
        [Attachment {
            name: "invoice.pdf".into(),
            content_type: "application/pdf".into(),
            size: 300,
        }]
    );
    assert!(!m.text.contains("JVBER"));
}

#[test]
fn outlook_original_message_is_cut() {
    let raw = b"From: \"Smith, John\" <john.smith@example.com>\n\
Subject: RE: We are sorry\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
Thanks for getting back to me. Tuesday works.\n\
\n\
John\n\
\n\
-----Original Message-----\n\
From: Acme Support <c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test>\n\
Sent: Monday, November 30, 2026 10:00 AM\n\
To: Smith, John <john.smith@example.com>\n\
Subject: We are sorry\n\
\n\
Hello John,\n";
    let m = mail(raw);
    assert_eq!(m.from_name.as_deref(), Some("Smith, John"));
    assert_eq!(
        m.reply,
        "Thanks for getting back to me. Tuesday works.\n\nJohn"
    );
}

#[test]
fn outlook_header_block_is_cut_in_any_language() {
    for (from, sent) in [
        ("From:", "Sent:"),
        ("Von:", "Gesendet:"),
        ("Fra:", "Sendt:"),
        ("Från:", "Skickat:"),
        ("Lähettäjä:", "Lähetetty:"),
        ("Van:", "Verzonden:"),
        ("*From:* Acme", "*Date:*"),
    ] {
        let text = format!(
            "Fine by me.\n\n________________________________\n{from} Acme <x@acme.test>\n{sent} 30 November 2026 10:00\nTo: me\n\nHello,\nold text\n"
        );
        assert_eq!(strip_quoted(&text), "Fine by me.", "{from}");
    }
}

#[test]
fn translated_original_message_lines_are_cut() {
    for line in [
        "-----Ursprüngliche Nachricht-----",
        "-----Opprinnelig melding-----",
        "-----Ursprungligt meddelande-----",
        "-----Oprindelig meddelelse-----",
        "-----Alkuperäinen viesti-----",
        "-----Oorspronkelijk bericht-----",
        "---------- Forwarded message ---------",
    ] {
        let text = format!("Mine.\n\n{line}\nTheirs.\n");
        assert_eq!(strip_quoted(&text), "Mine.", "{line}");
    }
}

#[test]
fn german_attribution_is_cut() {
    let raw = "From: kunde@example.de\n\
Subject: AW: Es tut uns leid\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
Guten Tag,\n\
rufen Sie mich gern morgen an.\n\
\n\
Am Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Kari Nordmann <kari@acme.test>:\n\
> Guten Tag,\n\
> es tut mir leid.\n";
    assert_eq!(
        mail(raw.as_bytes()).reply,
        "Guten Tag,\nrufen Sie mich gern morgen an."
    );
}

#[test]
fn norwegian_attribution_is_cut() {
    let raw = "From: kunde@example.no\n\
Subject: Sv: Beklager\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
Det passer fint i morgen.\n\
\n\
man. 30. nov. 2026 kl. 10:00 skrev Kari Nordmann <kari@acme.test>:\n\
> Hei,\n\
> jeg beklager.\n";
    assert_eq!(mail(raw.as_bytes()).reply, "Det passer fint i morgen.");
}

#[test]
fn attributions_in_every_language_are_cut() {
    for attribution in [
        "On Mon, 30 Nov 2026 at 10:00, Kari <kari@acme.test> wrote:",
        "Den 30 nov. 2026 kl. 10:00 skrev Kari <kari@acme.test>:",
        "30 nov. 2026 kl. 10:00 skrev Kari <kari@acme.test>:",
        "Am 30.11.2026 um 10:00 schrieb Kari:",
        "Op ma 30 nov 2026 om 10:00 schreef Kari <kari@acme.test>:",
        "ma 30.11.2026 klo 10.00 Kari (kari@acme.test) kirjoitti:",
    ] {
        let text = format!("My answer.\n\n{attribution}\n> old\n> text\n");
        assert_eq!(strip_quoted(&text), "My answer.", "{attribution}");
    }
}

#[test]
fn an_attribution_wrapped_over_two_lines_is_cut() {
    let text = "See you then.\nOn Mon, Nov 30, 2026 at 10:00 AM Kari Nordmann <\nkari@acme.test> wrote:\n> old\n";
    assert_eq!(strip_quoted(text), "See you then.");
    // A line of the person's own with a time, then a whole attribution: the line stays.
    let text =
        "Call me at 10:30\nOn Mon, Nov 30, 2026 at 10:00 AM Kari <kari@acme.test> wrote:\n> old\n";
    assert_eq!(strip_quoted(text), "Call me at 10:30");
    let text = "See you then.\nAm Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Kari\nNordmann <kari@acme.test>:\n> alt\n";
    assert_eq!(strip_quoted(text), "See you then.");
}

#[test]
fn an_attribution_without_a_date_goes_with_the_quote_below_it() {
    let text = "Sounds good.\n\nKari Nordmann wrote:\n> Shall I call?\n> Kari\n";
    assert_eq!(strip_quoted(text), "Sounds good.");
    // Without a quote below it, it is the person's own line.
    let text = "Sounds good. This is what my colleague wrote:\n";
    assert_eq!(strip_quoted(text), text.trim());
}

#[test]
fn the_persons_own_text_is_kept() {
    // Not attributions: no date or address, or not ending the line.
    for text in [
        "Here is what I wrote:\nthe product broke.",
        "I wrote to you on 3 May and you never answered.\nPlease call.",
    ] {
        assert_eq!(strip_quoted(text), text);
    }
    // Interleaved answers keep the quotes they answer.
    let interleaved = "On Mon, 30 Nov 2026, Kari <kari@acme.test> wrote:\n> When can we call?\nTomorrow at 10.\n> Which number?\n555 1234\n> Kind regards\n";
    assert_eq!(
        strip_quoted(interleaved),
        "On Mon, 30 Nov 2026, Kari <kari@acme.test> wrote:\n> When can we call?\nTomorrow at 10.\n> Which number?\n555 1234"
    );
    // Only a quote: nothing of their own to find, so nothing is thrown away.
    assert_eq!(strip_quoted("> only\n> quoted\n"), "> only\n> quoted");
}

#[test]
fn the_signature_is_cut() {
    assert_eq!(
        strip_quoted("Thanks!\n\n-- \nAnna Hansen\nCEO, Example\n"),
        "Thanks!"
    );
    assert_eq!(strip_quoted("Thanks!\n--\nAnna\n"), "Thanks!");
}

#[test]
fn an_auto_submitted_out_of_office_is_an_auto_reply() {
    let raw = b"From: anna@example.com\n\
To: c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test\n\
Subject: Re: We are sorry\n\
Auto-Submitted: auto-replied\n\
Content-Type: text/plain\n\
\n\
I am away until Monday.\n";
    assert_eq!(mail(raw).nature, Nature::AutoReply);
}

#[test]
fn machine_headers_mark_auto_replies_but_not_outlooks_suppress_header() {
    let with = |header: &str| {
        let raw = format!("From: a@example.com\nSubject: Hello\n{header}\n\nText\n");
        mail(raw.as_bytes()).nature
    };
    assert_eq!(with("Precedence: bulk"), Nature::AutoReply);
    assert_eq!(with("Precedence: junk"), Nature::AutoReply);
    assert_eq!(with("Precedence: auto_reply"), Nature::AutoReply);
    assert_eq!(with("X-Autoreply: yes"), Nature::AutoReply);
    assert_eq!(with("X-Autorespond: yes"), Nature::AutoReply);
    assert_eq!(with("Auto-Submitted: auto-generated"), Nature::AutoReply);
    assert_eq!(with("Auto-Submitted: no"), Nature::Reply);
    assert_eq!(with("X-Auto-Response-Suppress: All"), Nature::Reply);
    assert_eq!(with("Precedence: list"), Nature::Reply);
}

#[test]
fn out_of_office_subjects_in_every_language_are_auto_replies() {
    for subject in [
        "Out of Office: We are sorry",
        "Automatic reply: We are sorry",
        "Auto: We are sorry",
        "Fraværende: Beklager",
        "Automatisk svar: Beklager",
        "Frånvarande: Vi ber om ursäkt",
        "Automatiskt svar: Vi ber om ursäkt",
        "Autosvar: Undskyld",
        "Poissa: Pahoittelemme",
        "Automaattinen vastaus: Pahoittelemme",
        "Abwesenheitsnotiz: Es tut uns leid",
        "Automatische Antwort: Es tut uns leid",
        "Afwezig: Het spijt ons",
        "Automatisch antwoord: Het spijt ons",
    ] {
        let raw = format!("From: a@example.com\nSubject: {subject}\n\nAway.\n");
        assert_eq!(mail(raw.as_bytes()).nature, Nature::AutoReply, "{subject}");
    }
    let raw = "From: a@example.com\nSubject: Re: Fraværende levering? Nei, den kom\n\nOk.\n";
    assert_eq!(
        mail(raw.as_bytes()).nature,
        Nature::Reply,
        "a single word counts only at the start"
    );
}

#[test]
fn a_danish_out_of_office_by_subject_only() {
    let raw = "From: kunde@example.dk\n\
To: c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test\n\
Subject: =?utf-8?Q?Frav=C3=A6rende:_Undskyld_=E2=80=93_kan_vi_tale_sammen_i_dag=3F?=\n\
Content-Type: text/plain; charset=utf-8\n\
\n\
Jeg er på ferie til og med mandag.\n";
    let m = mail(raw.as_bytes());
    assert_eq!(
        m.subject,
        "Fraværende: Undskyld – kan vi tale sammen i dag?"
    );
    assert_eq!(m.nature, Nature::AutoReply);
}

const DSN: &[u8] = b"Return-Path: <>\n\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n\
To: c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test\n\
Subject: Undelivered Mail Returned to Sender\n\
Auto-Submitted: auto-replied\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"\n\
\n\
--dsn\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
I'm sorry to have to inform you that your message could not\n\
be delivered to one or more recipients.\n\
\n\
<nobody@example.org>: host mx.example.org said: 550 5.1.1 User unknown\n\
--dsn\n\
Content-Type: message/delivery-status\n\
\n\
Reporting-MTA: dns; mx.example.com\n\
\n\
Final-Recipient: rfc822; nobody@example.org\n\
Action: failed\n\
Status: 5.1.1\n\
--dsn\n\
Content-Type: text/rfc822-headers\n\
\n\
From: Acme <c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test>\n\
To: nobody@example.org\n\
Subject: We are sorry\n\
--dsn--\n";

#[test]
fn a_delivery_status_report_is_a_bounce() {
    let m = mail(DSN);
    assert_eq!(m.nature, Nature::Bounce);
    assert_eq!(m.from, "mailer-daemon@mx.example.com");
    assert!(m.text.contains("User unknown"), "{}", m.text);
}

#[test]
fn a_daemon_failure_notice_without_a_report_is_a_bounce() {
    let raw = b"From: postmaster@example.org\n\
Subject: Delivery Status Notification (Failure)\n\
Content-Type: text/plain\n\
\n\
Your message was not delivered.\n";
    assert_eq!(mail(raw).nature, Nature::Bounce);
    let raw = b"Return-Path: <>\n\
From: someone@example.org\n\
Subject: Undeliverable: We are sorry\n\
\n\
Not delivered.\n";
    assert_eq!(mail(raw).nature, Nature::Bounce, "null sender");
    let raw = b"From: anna@example.org\n\
Subject: Re: undeliverable parcel\n\
\n\
The parcel never came.\n";
    assert_eq!(mail(raw).nature, Nature::Reply, "a person may say it");
}

#[test]
fn a_message_over_the_limit_is_refused() {
    let mut raw = b"From: a@example.com\nSubject: big\n\n".to_vec();
    raw.resize(MAX_INBOUND_BYTES + 1, b'a');
    let err = parse(&raw).unwrap_err();
    assert_eq!(
        err,
        InboundError::TooLarge {
            size: MAX_INBOUND_BYTES + 1,
            limit: MAX_INBOUND_BYTES
        }
    );
    assert_eq!(
        err.to_string(),
        "The email is 10485761 bytes, more than the limit of 10485760 bytes."
    );
}

#[test]
fn garbage_is_not_an_email() {
    for raw in [
        &b"\x00\x01\x02\xff\xfe garbage"[..],
        b"",
        b"just some words\nand more words\n",
        b"X-Something: only\n\nbody\n",
    ] {
        let err = parse(raw).unwrap_err();
        assert!(
            matches!(err, InboundError::NotAnEmail(_)),
            "{raw:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("This is not an email: it has"),
            "{err}"
        );
    }
}

#[test]
fn a_message_without_message_id() {
    let m = mail(b"From: a@example.com\nSubject: Hi\n\nHello.\n");
    assert_eq!(m.message_id, None);
    assert!(m.in_reply_to.is_empty() && m.references.is_empty());
    assert_eq!(m.reply, "Hello.");
}

#[test]
fn envelope_headers_add_recipients() {
    let raw = b"From: a@example.com\n\
To: undisclosed-recipients:;\n\
Delivered-To: support+c1-w1-aaaaaaaaaaaaaaaa@example.com\n\
X-Original-To: <C1-W1-AAAAAAAAAAAAAAAA@Replies.Acme.Test>\n\
Envelope-To: support@example.com, support+c1-w1-aaaaaaaaaaaaaaaa@example.com\n\
Subject: Hi\n\
\n\
Hello.\n";
    assert_eq!(
        mail(raw).recipients,
        [
            "support+c1-w1-aaaaaaaaaaaaaaaa@example.com",
            "c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test",
            "support@example.com"
        ]
    );
}

#[test]
fn headers_alone_describe_a_message_too_large_to_fetch() {
    let headers = b"From: Anna <anna@example.com>\n\
To: c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test\n\
Subject: Re: photos\n\
Message-ID: <big@example.com>\n\
In-Reply-To: <case-1.0000000000000001@replies.acme.test>\n\
Content-Type: multipart/mixed; boundary=\"x\"\n\
\n";
    let m = parse_headers(headers, 50_000_000).unwrap();
    assert_eq!(m.size, 50_000_000);
    assert_eq!(m.from, "anna@example.com");
    assert_eq!(m.message_id.as_deref(), Some("big@example.com"));
    assert_eq!(m.in_reply_to, ["case-1.0000000000000001@replies.acme.test"]);
    assert_eq!(m.recipients, ["c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test"]);
    assert_eq!((m.text.as_str(), m.reply.as_str()), ("", ""));
    assert_eq!(m.nature, Nature::Reply);
    assert!(matches!(
        parse_headers(b"nonsense", 10),
        Err(InboundError::NotAnEmail(_))
    ));
    let dsn_headers = &DSN[..DSN.windows(2).position(|w| w == b"\n\n").unwrap() + 2];
    assert_eq!(
        parse_headers(dsn_headers, 9_999).unwrap().nature,
        Nature::Bounce
    );
}

#[test]
fn natures_have_stable_names() {
    for n in Nature::ALL {
        assert_eq!(Nature::parse(n.as_str()), Some(n));
    }
    assert_eq!(Nature::AutoReply.as_str(), "auto_reply");
    assert_eq!(Nature::parse("Reply"), None);
}

#[test]
fn an_outlook_html_reply_loses_its_header_block() {
    let raw = b"From: John Smith <john.smith@example.com>\n\
Subject: RE: We are sorry\n\
Content-Type: text/html; charset=\"us-ascii\"\n\
\n\
<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><style>p.MsoNormal {margin:0cm;}</style></head>\
<body lang=\"EN-US\"><div class=\"WordSection1\"><p class=\"MsoNormal\">Tuesday at 2 works for me.<o:p></o:p></p>\
<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><p class=\"MsoNormal\">John<o:p></o:p></p>\
<div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt\"><p class=\"MsoNormal\"><b>From:</b> Acme Support \
&lt;c1-w1-aaaaaaaaaaaaaaaa@replies.acme.test&gt; <br><b>Sent:</b> Monday, November 30, 2026 10:00 AM<br>\
<b>To:</b> John Smith &lt;john.smith@example.com&gt;<br><b>Subject:</b> We are sorry<o:p></o:p></p></div></div>\
<p class=\"MsoNormal\">Hello John, we are sorry.<o:p></o:p></p></div></body></html>\n";
    let m = mail(raw);
    let lines: Vec<&str> = m
        .reply
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines,
        ["Tuesday at 2 works for me.", "John"],
        "{:?}",
        m.reply
    );
}

proptest::proptest! {
    #[test]
    fn any_bytes_are_parsed_or_refused_without_panic(
        raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
    ) {
        let _ = parse(&raw);
        let _ = parse_headers(&raw, raw.len());
    }

    #[test]
    fn a_damaged_email_is_parsed_or_refused_without_panic(
        cut in 0..GMAIL_REPLY.len(),
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..50),
    ) {
        let mut raw = GMAIL_REPLY[..cut].to_vec();
        raw.extend(noise);
        let _ = parse(&raw);
    }

    #[test]
    fn stripping_never_loses_everything(text in "(.{0,40}\n){0,12}") {
        let reply = strip_quoted(&text);
        proptest::prop_assert_eq!(reply.trim(), reply.as_str());
        proptest::prop_assert_eq!(reply.is_empty(), text.trim().is_empty());
    }
}
