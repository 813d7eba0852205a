"""Bounce reasons: which of ~25 causes a diagnostic text and status code point to.

The pattern tables are ported from Sisimai 4.25's Reason modules (BSD-2-Clause, see
LICENSE-sisimai.txt) and kept close to the original so they can be compared and updated.
``classify`` first trusts a vendor's own verdict, then the status code, then the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from digest.mailing.bounces._text import contains_any, rx
from digest.mailing.bounces.record import Record
from digest.mailing.bounces.smtpcodes import status_name

# Reasons a vendor rule may have guessed that the generic rules are allowed to refine.
RETRY = frozenset(("undefined", "onhold", "systemerror", "securityerror", "networkerror", "hostunknown", "userunknown"))

_BLOCKED_REGEX = rx(
    r"""(?>
         [ ]said:[ ]550[ ]blocked
        |[(][^ ]+[@][^ ]+:blocked[)]
        |access[ ]denied[.][ ]ip[ ]name[ ]lookup[ ]failed
        |access[ ]from[ ]ip[ ]address[ ][^ ]+[ ]blocked
        |all[ ]mail[ ]servers[ ]must[ ]have[ ]a[ ]ptr[ ]record[ ]with[ ]a[ ]valid[ ]reverse[ ]dns[ ]entry
        |bad[ ](:?dns[ ]ptr[ ]resource[ ]record|sender[ ]ip[ ]address)
        |banned[ ]sending[ ]ip  # Office365
        |blacklisted[ ]by
        |(?:blocked|refused)[ ]-[ ]see[ ]https?://
        |blocked[ ]using[ ]
        |can[']t[ ]determine[ ]purported[ ]responsible[ ]address
        |cannot[ ](?:
             find[ ]your[ ]hostname
            |resolve[ ]your[ ]address
            )
        |client[ ]host[ ](?:
             [^ ]+[ ]blocked[ ]using
            |rejected:[ ](?:
                 abus[ ]detecte[ ]gu_eib_0[24]      # SFR
                |cannot[ ]find[ ]your[ ]hostname    # Yahoo!
                |may[ ]not[ ]be[ ]mail[ ]exchanger
                |was[ ]not[ ]authenticated          # Microsoft
                )
            )
        |confirm[ ]this[ ]mail[ ]server
        |connection[ ](?:
            dropped
           |refused[ ]by
           |reset[ ]by[ ]peer
           |was[ ]dropped[ ]by[ ]remote[ ]host
           )
        |connections[ ](?:
             not[ ]accepted[ ]from[ ]ip[ ]addresses[ ]on[ ]spamhaus[ ]xbl
            |will[ ]not[ ]be[ ]accepted[ ]from[ ][^ ]+,[ ]because[ ]the[ ]ip[ ]is[ ]in[ ]spamhaus's[ ]list
            )
        |currently[ ]sending[ ]spam[ ]see:[ ]
        |domain[ ](?:
             [^ ]+[ ]mismatches[ ]client[ ]ip
            |does[ ]not[ ]exist:
            )
        |dns[ ]lookup[ ]failure:[ ][^ ]+[ ]try[ ]again[ ]later
        |dnsbl:(?:attrbl|rbl[ ]\d+[<][ ].+[ ][>]_is_blocked)
        |dynamic/zombied/spam[ ]ips[ ]blocked
        |email[ ]blocked[ ]by[ ](?:[^ ]+[.]barracudacentral[.]org|spamhaus)
        |error:[ ]no[ ]valid[ ]recipients[ ]from[ ]
        |esmtp[ ]not[ ]accepting[ ]connections  # icloud.com
        |extreme[ ]bad[ ]ip[ ]profile
        |fix[ ]reverse[ ]dns[ ]for[ ][^ ]+
        |go[ ]away
        |helo[ ]command[ ]rejected:
        |host[ ][^ ]+[ ]refused[ ]to[ ]talk[ ]to[ ]me:[ ]\d+[ ]blocked
        |host[ ]network[ ]not[ ]allowed
        |hosts[ ]with[ ]dynamic[ ]ip
        |http://(?:
             spf[.]pobox[.]com/why[.]html
            |www[.]spamcop[.]net/bl[.]
            )
        |invalid[ ]ip[ ]for[ ]sending[ ]mail[ ]of[ ]domain
        |ip[ ]\d{1,3}[.]\d{1,3}[.]\d{1,3}[.]\d{1,3}[ ]is[ ]blocked[ ]by[ ]earthlink # Earthlink
        |ip[/]domain[ ]reputation[ ]problems
        |ips[ ]with[ ]missing[ ]ptr[ ]records
        |is[ ](?:
             in[ ]a[ ]black[ ]list(?:[ ]at[ ][^ ]+[.])?
            |in[ ]an[ ][^ ]+rbl[ ]on[ ][^ ]+
            |not[ ]allowed[ ]to[ ]send[ ](?:
                 mail[ ]from
                |from[ ][<][^ ]+[>][ ]per[ ]it's[ ]spf[ ]record
                )
            )
        |mail[ ]server[ ]at[ ][^ ]+[ ]is[ ]blocked
        |mail[ ]from[ ]\d+[.]\d+[.]\d+[.]\d[ ]refused:
        |message[ ]from[ ][^ ]+[ ]rejected[ ]based[ ]on[ ]blacklist
        |message[ ]was[ ]rejected[ ]for[ ]possible[ ]spam/virus[ ]content
        |messages[ ]from[ ][^ ]+[ ]temporarily[ ]deferred[ ]due[ ]to[ ]user[ ]complaints   # Yahoo!
        |no[ ](?:
             access[ ]from[ ]mail[ ]server
            |ptr[ ]record[ ]found[.]
            )
        |not[ ]currently[ ]accepting[ ]mail[ ]from[ ]your[ ]ip  # Microsoft
        |part[ ]of[ ]their[ ]network[ ]is[ ]on[ ]our[ ]block[ ]list
        |please[ ](?:
             get[ ]a[ ]custom[ ]reverse[ ]dns[ ]name[ ]from[ ]your[ ]isp[ ]for[ ]your[ ]host
            |inspect[ ]your[ ]spf[ ]settings
            |use[ ]the[ ]smtp[ ]server[ ]of[ ]your[ ]isp
            )
        |ptr[ ]record[ ]setup
        |rejected[ ]because[ ]the[ ]sending[ ]mta[ ]or[ ]the[ ]sender[ ]has[ ]not[ ]passed[ ]validation
        |rejected[ ]due[ ]to[ ](?:
             a[ ]poor[ ]email[ ]reputation[ ]score
            |the[ ]sending[ ]mta's[ ]poor[ ]reputation
            )
        |rejecting[ ]open[ ]proxy   # Sendmail(srvrsmtp.c)
        |reverse[ ]dns[ ](?:
              failed
             |required
             |lookup[ ]for[ ]host[ ][^ ]+[ ]failed[ ]permanently
             )
        |sender[ ]ip[ ](?:
             address[ ]rejected
            |reverse[ ]lookup[ ]rejected
            )
        |server[ ]access[ ](?:
             [^ ]+[ ]forbidden[ ]by[ ]invalid[ ]rdns[ ]record[ ]of[ ]your[ ]mail[ ]server
            |forbidden[ ]by[ ]your[ ]ip[ ]
            )
        |server[ ]ip[ ][^ ]+[ ]listed[ ]as[ ]abusive
        |service[ ]not[ ]available,[ ]closing[ ]transmission[ ]channel
        |service[ ]permits[ ]\d+[ ]unverifyable[ ]sending[ ]ips
        |smtp[ ]error[ ]from[ ]remote[ ]mail[ ]server[ ]after[ ]initial[ ]connection:   # Exim
        |sorry,[ ](?:
             that[ ]domain[ ]isn'?t[ ]in[ ]my[ ]list[ ]of[ ]allowed[ ]rcpthosts
            |your[ ]remotehost[ ]looks[ ]suspiciously[ ]like[ ]spammer
            )
        |spf[ ](?:
             [(]sender[ ]policy[ ]framework[)][ ]domain[ ]authentication[ ]fail
            |record
            |check:[ ]fail
            )
        |spf:[ ][^ ]+[ ]is[ ]not[ ]allowed[ ]to[ ]send[ ]mail[.][ ][a-z0-9]_401
        |temporarily[ ]deferred[ ]due[ ]to[ ]unexpected[ ]volume[ ]or[ ]user[ ]complaints
        |the[ ](?:email|domain|ip)[ ][^ ]+[ ]is[ ]blacklisted
        |this[ ]system[ ]will[ ]not[ ]accept[ ]messages[ ]from[ ]servers[/]devices[ ]with[ ]no[ ]reverse[ ]dns
        |to[ ]submit[ ]messages[ ]to[ ]this[ ]e-mail[ ]system[ ]has[ ]been[ ]rejected
        |too[ ]many[ ](?:
             spams[ ]from[ ]your[ ]ip  # free.fr
            |unwanted[ ]messages[ ]have[ ]been[ ]sent[ ]from[ ]the[ ]following[ ]ip[ ]address[ ]above
            )
        |unresolvable[ ]relay[ ]host[ ]name
        |veuillez[ ]essayer[ ]plus[ ]tard[.][ ]service[ ]refused,[ ]please[ ]try[ ]later[.][ ][0-9a-z_]+(?:103|510)
        |was[ ]blocked[ ]by[ ][^ ]+
        |we[ ]do[ ]not[ ]accept[ ]mail[ ]from[ ](?: # @mail.ru
             dynamic[ ]ips
            |hosts[ ]with[ ]dynamic[ ]ip[ ]or[ ]generic[ ]dns[ ]ptr-records
            )
        |you[ ]are[ ](?:
             not[ ]allowed[ ]to[ ]connect
            |sending[ ]spam
            )
        |your[ ](?:
             email[ ]address[ ]has[ ]been[ ]blacklisted
            |network[ ]is[ ]temporary[ ]blacklisted
            |sender's[ ]ip[ ]address[ ]is[ ]listed[ ]at[ ][^ ]+[.]abuseat[.]org
            |server[ ]requires[ ]confirmation
            )
        )
    """,
    re.X,
)

_CONTENTERROR_INDEX = (
    "header size exceeds maximum permitted",
    "improper use of 8-bit data in message header",
    "message header size, or recipient list, exceeds policy limit",
    "message mime complexity exceeds the policy maximum",
    "routing loop detected -- too many received: headers",
    "this message contain invalid mime headers",
    "this message contain improperly-formatted binary content",
    "this message contain text that uses unnecessary base64 encoding",
)

_EXCEEDLIMIT_INDEX = (
    "message header size exceeds limit",
    "message too large",
)

_EXPIRED_INDEX = (
    "connection timed out",
    "could not find a gateway for",
    "delivery attempts will continue to be",
    "delivery time expired",
    "failed to deliver to domain ",
    "giving up on",
    "have been failing for a long time",
    "has been delayed",
    "it has not been collected after",
    "message expired after sitting in queue for",
    "message expired, connection refulsed",
    "message timed out",
    "retry time not reached for any host after a long failure period",
    "server did not respond",
    "this message has been in the queue too long",
    "unable to deliver message after multiple retries",
    "was not reachable within the allowed queue period",
    "your message could not be delivered for more than",
)

_FILTERED_INDEX = (
    "because the recipient is only accepting mail from specific email addresses",  # AOL Phoenix
    "bounced address",  # SendGrid|a message to an address has previously been Bounced.
    "due to extended inactivity new mail is not currently being accepted for this mailbox",
    "has restricted sms e-mail",  # AT&T
    "is not accepting any mail",
    "message rejected due to user rules",
    "not found recipient account",
    "refused due to recipient preferences",  # Facebook
    "resolver.rst.notauthorized",  # Microsoft Exchange
    "this account is protected by",
    "user not found",  # Filter on MAIL.RU
    "user reject",
    "we failed to deliver mail because the following address recipient id refuse to receive mail",  # Willcom
    "you have been blocked by the recipient",
)

_HASMOVED_INDEX = (" has been replaced by ",)

_HOSTUNKNOWN_INDEX = (
    "domain does not exist",
    "domain is not reachable",
    "domain must exist",
    "host or domain name not found",
    "host unknown",
    "host unreachable",
    "mail domain mentioned in email address is unknown",
    "name or service not known",
    "no such domain",
    "recipient address rejected: unknown domain name",
    "recipient domain must exist",
    "the account or domain may not exist",
    "unknown host",
    "unroutable address",
    "unrouteable address",
)

_HOSTUNKNOWN_REGEX = rx(
    r"""553[ ][^ ]+[ ]does[ ]not[ ]exist""",
    re.X,
)

_MAILBOXFULL_INDEX = (
    "account disabled temporarly for exceeding receiving limits",
    "account is exceeding their quota",
    "account is over quota",
    "account is temporarily over quota",
    "boite du destinataire pleine",
    "delivery failed: over quota",
    "disc quota exceeded",
    "does not have enough space",
    "exceeded storage allocation",
    "exceeding its mailbox quota",
    "full mailbox",
    "is over disk quota",
    "is over quota temporarily",
    "mail file size exceeds the maximum size allowed for mail delivery",
    "mail quota exceeded",
    "mailbox exceeded the local limit",
    "mailbox full",
    "mailbox has exceeded its disk space limit",
    "mailbox is full",
    "mailbox over quota",
    "mailbox quota usage exceeded",
    "mailbox size limit exceeded",
    "maildir over quota",
    "maildir delivery failed: userdisk quota ",
    "maildir delivery failed: domaindisk quota ",
    "mailfolder is full",
    "not enough storage space in",
    "over the allowed quota",
    "quota exceeded",
    "quota violation for",
    "recipient reached disk quota",
    "recipient rejected: mailbox would exceed maximum allowed storage",
    "the recipient mailbox has exceeded its disk space limit",
    "the user's space has been used up",
    "the user you are trying to reach is over quota",
    "too much mail data",  # @docomo.ne.jp
    "user has exceeded quota, bouncing mail",
    "user has too many messages on the server",
    "user is over quota",
    "user is over the quota",
    "user over quota",
    "user over quota. (#5.1.1)",  # qmail-toaster
    "was automatically rejected: quota exceeded",
    "would be over the allowed quota",
)

_MAILERERROR_REGEX = rx(
    r"""(?>
         \Aprocmail:[ ]    # procmail
        |bin/(?:procmail|maildrop)
        |command[ ](?:
             failed:[ ]
            |died[ ]with[ ]status[ ]\d+
            |output:
            )
        |exit[ ]\d+
        |mailer[ ]error
        |pipe[ ]to[ ][|][/][^ ]+
        |x[-]unix[;][ ]\d+  # X-UNIX; 127
        )
    """,
    re.X,
)

_MESGTOOBIG_INDEX = (
    "exceeded maximum inbound message size",
    "line limit exceeded",
    "max message size exceeded",
    "message file too big",
    "message length exceeds administrative limit",
    "message size exceeds fixed limit",
    "message size exceeds fixed maximum message size",
    "message size exceeds maximum value",
    "message too big",
    "message too large for this ",
    "size limit",
    "taille limite du message atteinte",
)

_NETWORKERROR_INDEX = (
    "could not connect and send the mail to",
    "dns records for the destination computer could not be found",
    "hop count exceeded - possible mail loop",
    "host is unreachable",
    "host name lookup failure",
    "host not found, try again",
    "mail forwarding loop for ",
    "malformed name server reply",
    "malformed or unexpected name server reply",
    "maximum forwarding loop count exceeded",
    "message looping",
    "message probably in a routing loop",
    "no route to host",
    "too many hops",
    "unable to resolve route ",
    "unrouteable mail domain",
)

_NORELAYING_INDEX = (
    "as a relay",
    "insecure mail relay",
    "is not permitted to relay through this server without authentication",
    "mail server requires authentication when attempting to send to a non-local e-mail address",  # MailEnable
    "not a gateway",
    "not allowed to relay through this machine",
    "not an open relay, so get lost",
    "not local host",
    "relay access denied",
    "relay denied",
    "relaying mail to ",
    "relay not permitted",
    "relaying denied",  # Sendmail
    "that domain isn't in my list of allowed rcpthost",
    "this system is not configured to relay mail",
    "unable to relay for",
    "we don't handle mail for",
)

_NOTACCEPT_INDEX = (
    "does not accept mail (nullmx)",
    "host/domain does not accept mail",  # iCloud
    "host does not accept mail",  # Sendmail
    "name server: .: host not found",  # Sendmail
    "no mx record found for domain=",  # Oath(Yahoo!)
    "no route for current request",
    "smtp protocol returned a permanent error",
)

_POLICYVIOLATION_INDEX = (
    "an illegal attachment on your message",
    "because the recipient is not accepting mail with ",  # AOL Phoenix
    "by non-member to a members-only list",
    "closed mailing list",
    "denied by policy",
    "dmarc policy",
    "email not accepted for policy reasons",
    # http://kb.mimecast.com/Mimecast_Knowledge_Base/Administration_Console/Monitoring/Mimecast_SMTP_Error_Codes#554
    "email rejected due to security policies",
    "header are not accepted",
    "header error",
    "local policy violation",
    "message bounced due to organizational settings",
    "message given low priority",
    "message not accepted for policy reasons",
    "message rejected due to local policy",
    "messages with multiple addresses",
    "rejected for policy reasons",
    "protocol violation",
    "the email address used to send your message is not subscribed to this group",
    "the message was rejected by organization policy",
    "this message was blocked because its content presents a potential",
    "we do not accept messages containing images or other attachments",
    "you have exceeded the allowable number of posts without solving a captcha",
    "you have exceeded the the allowable number of posts without solving a captcha",
)

_REJECTED_ISNOT = (
    "5.1.0 address rejected",
    "recipient address rejected",
    "sender ip address rejected",
)

_REJECTED_INDEX = (
    "access denied (in reply to mail from command)",
    "access denied (sender blacklisted)",
    "address rejected",
    "administrative prohibition",
    "batv failed to verify",  # SoniWall
    "batv validation failure",  # SoniWall
    "backscatter protection detected an invalid or expired email address",  # MDaemon
    "because the sender isn't on the recipient's list of senders to accept mail from",
    "bogus mail from",  # IMail - block empty sender
    "connections not accepted from servers without a valid sender domain",
    "denied [bouncedeny]",  # McAfee
    "denied by secumail valid-address-filter",
    "delivery not authorized, message refused",
    "does not exist e2110",
    "domain of sender address ",
    "email address is on senderfilterconfig list",
    "emetteur invalide",
    "empty envelope senders not allowed",
    "envelope blocked – ",
    "error: no third-party dsns",  # SpamWall - block empty sender
    "from: domain is invalid. please provide a valid from:",
    "fully qualified email address required",  # McAfee
    "invalid domain, see <url:",
    "invalid sender",
    "is not a registered gateway user",
    "mail from not owned by user",
    "message rejected: email address is not verified",
    "mx records for ",
    "null sender is not allowed",
    "recipient addresses rejected : access denied",
    "recipient not accepted. (batv: no tag",
    "returned mail not accepted here",
    "rfc 1035 violation: recursive cname records for",
    "rule imposed mailbox access for",  # MailMarshal
    "sender address has been blacklisted",
    "sender email address rejected",
    "sender is in my black list",
    "sender is spammer",
    "sender not pre-approved",
    "sender rejected",
    "sender domain is empty",
    "sender verify failed",  # Exim callout
    "syntax error: empty email address",
    "the message has been rejected by batv defense",
    "this server does not accept mail from",
    "transaction failed unsigned dsn for",
    "unroutable sender address",
    "you are not allowed to post to this mailing list",
    "you are sending to/from an address that has been blacklisted",
    "your access to submit messages to this e-mail system has been rejected",
)

_SECURITYERROR_REGEX = rx(
    r"""(?>
         account[ ]not[ ]subscribed[ ]to[ ]ses
        |authentication[ ](?:
             credentials invalid
            |failure
            |failed;[ ]server[ ][^ ]+[ ]said:  # Postfix
            |required
            |turned[ ]on[ ]in[ ]your[ ]email[ ]client
            )
        |authentification[ ]requise.+[0-9a-z_]+402
        |codes?[ ]d'?[ ]*authentification[ ]invalide.+[0-9a-z_]+305
        |domain[ ][^ ]+[ ]is[ ]a[ ]dead[ ]domain
        |executable[ ]files[ ]are[ ]not[ ]allowed[ ]in[ ]compressed[ ]files
        |insecure[ ]mail[ ]relay
        |recipient[ ]address[ ]rejected:[ ]access[ ]denied
        |sorry,[ ]you[ ]don'?t[ ]authenticate[ ]or[ ]the[ ]domain[ ]isn'?t[ ]in[ ]
                my[ ]list[ ]of[ ]allowed[ ]rcpthosts
        |tls[ ]required[ ]but[ ]not[ ]supported # SendGrid: no TLS or no valid certificate at the recipient
        |unauthenticated[ ]senders[ ]not[ ]allowed
        |user[ ][^ ]+[ ]is[ ]not[ ]authorized[ ]to[ ]perform[ ]ses:sendrawemail[ ]on[ ]resource
        |you[ ]are[ ]not[ ]authorized[ ]to[ ]send[ ]mail,[ ]authentication[ ]is[ ]required
        |verification[ ]failure
        )
    """,
    re.X,
)

_SPAMDETECTED_REGEX = rx(
    r"""(?>
         ["]the[ ]mail[ ]server[ ]detected[ ]your[ ]message[ ]as[ ]spam[ ]and[ ]
            has[ ]prevented[ ]delivery[.]["]    # CPanel/Exim with SA rejections on
        |(?:\d[.]\d[.]\d|\d{3})[ ]spam\Z
        |554[ ]5[.]7[.]0[ ]reject,[ ]id=\d+
        |appears[ ]to[ ]be[ ]unsolicited
        |blacklisted[ ]url[ ]in[ ]message
        |block[ ]for[ ]spam
        |blocked[ ]by[ ](?:
             policy:[ ]no[ ]spam[ ]please
            |spamassassin                   # rejected by SpamAssassin
            )
        |blocked[ ]for[ ]abuse[.][ ]see[ ]http://att[.]net/blocks   # AT&T
        |bulk[ ]email
        |considered[ ]unsolicited[ ]bulk[ ]e-mail[ ][(]spam[)][ ]by[ ]our[ ]mail[ ]filters
        |content[ ]filter[ ]rejection
        |cyberoam[ ]anti[ ]spam[ ]engine[ ]has[ ]identified[ ]this[ ]email[ ]as[ ]a[ ]bulk[ ]email
        |denied[ ]due[ ]to[ ]spam[ ]list
        |greylisted.?.[ ]please[ ]try[ ]again[ ]in
        |high[ ]probability[ ]of[ ]spam
        |https?://(?:www[.]spamhaus[.]org|dsbl[.]org|mail[.]163[.]com/help/help_spam_16[.]htm)
        |listed[ ]in[ ]work[.]drbl[.]imedia[.]ru
        |mail[ ](?:
             appears[ ]to[ ]be[ ]unsolicited    # rejected due to spam
            |content[ ]denied   # http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726
            |rejete[.][ ]mail[ ]rejected[.][ ][0-9a-z_]+506
            )
        |may[ ]consider[ ]spam
        |message[ ](?:
             considered[ ]as[ ]spam[ ]or[ ]virus
            |contains[ ]spam[ ]or[ ]virus
            |content[ ]rejected
            |detected[ ]as[ ]spam
            |filtered
            |filtered[.][ ](?:
                 please[ ]see[ ]the[ ]faqs[ ]section[ ]on[ ]spam
                |refer[ ]to[ ]the[ ]troubleshooting[ ]page[ ]at[ ]
                )
            |is[ ]being[ ]rejected[ ]as[ ]it[ ]seems[ ]to[ ]be[ ]a[ ]spam
            |looks[ ]like[ ]spam
            |refused[ ]by[ ](?:
                 mailmarshal[ ]spamprofiler
                |trustwave[ ]seg[ ]spamprofiler
                )
            |rejected[ ](?:
                 as[ ]spam
                |because[ ]of[ ]unacceptable[ ]content
                |due[ ]to[ ]suspected[ ]spam[ ]content
                |for[ ]policy[ ]reasons
                )
            )
        |our[ ](?:
             email[ ]server[ ]thinks[ ]this[ ]email[ ]is[ ]spam
            |filters[ ]rate[ ]at[ ]and[ ]above[ ]\d+[ ]percent[ ]probability[ ]of[ ]being[ ]spam
            |system[ ]has[ ]detected[ ]that[ ]this[ ]message[ ]is
            )
        |probable[ ]spam
        |reject[ ]bulk[.]advertising
        |rejected(?:
             :[ ]spamassassin[ ]score[ ]
            |[ ]by[ ][^ ]+[ ][(]spam[)]
            |[ ]due[ ]to[ ]spam[ ](?:url[ ]in[ ])?(?:classification|content)
            )
        |rejecting[ ](?:banned|mail)[ ]content
        |related[ ]to[ ]content[ ]with[ ]spam[-]like[ ]characteristics
        |rule[ ]imposed[ ]as[ ][^ ]+[ ]is[ ]blacklisted[ ]on
        |sender[ ]domain[ ]listed[ ]at[ ][^ ]+
        |sending[ ]address[ ]not[ ]accepted[ ]due[ ]to[ ]spam[ ]filter
        |spam[ ](?:
             [^ ]+[ ]exceeded
            |blocked
            |check
            |content[ ]matched
            |detected
            |email
            |email[ ]not[ ]accepted
            |message[ ]rejected[.]       # mail.ru
            |not[ ]accepted
            |refused
            |rejection
            |reporting[ ]address    # SendGrid: the address marked an earlier message as spam
            |score[ ]
            )
        |spambouncer[ ]identified[ ]spam    # SpamBouncer identified SPAM
        |spamming[ ]not[ ]allowed
        |too[ ]much[ ]spam[.]               # Earthlink
        |the[ ]email[ ]message[ ]was[ ]detected[ ]as[ ]spam
        |the[ ]message[ ](?:
             has[ ]been[ ]rejected[ ]by[ ]spam[ ]filtering[ ]engine
            |was[ ]rejected[ ]due[ ]to[ ]classification[ ]as[ ]bulk[ ]mail
            )
        |the[ ]content[ ]of[ ]this[ ]message[ ]looked[ ]like[ ]spam # SendGrid
        |this[ ](?:e-mail|mail)[ ](?:
             cannot[ ]be[ ]forwarded[ ]because[ ]it[ ]was[ ]detected[ ]as[ ]spam
            |is[ ]classified[ ]as[ ]spam[ ]and[ ]is[ ]rejected
            )
        |this[ ]message[ ](?:
             appears[ ]to[ ]be[ ]spam
            |has[ ]been[ ](?:
                 identified[ ]as[ ]spam
                |scored[ ]as[ ]spam[ ]with[ ]a[ ]probability
                )
            |scored[ ][^ ]+[ ]spam[ ]points
            |was[ ]classified[ ]as[ ]spam
            |was[ ]rejected[ ]by[ ]recurrent[ ]pattern[ ]detection[ ]system
            )
        |transaction[ ]failed[ ]spam[ ]message[ ]not[ ]queued       # SendGrid
        |we[ ]dont[ ]accept[ ]spam
        |you're[ ]using[ ]a[ ]mass[ ]mailer
        |your[ ](?:
             email[ ](?:
                 appears[ ]similar[ ]to[ ]spam[ ]we[ ]have[ ]received[ ]before
                |breaches[ ]local[ ]uribl[ ]policy
                |had[ ]spam[-]like[ ]
                |is[ ](?:considered|probably)[ ]spam
                |was[ ]detected[ ]as[ ]spam
                )
            |message[ ](?:
                 as[ ]spam[ ]and[ ]has[ ]prevented[ ]delivery
                |has[ ]been[ ](?:
                     temporarily[ ]blocked[ ]by[ ]our[ ]filter
                    |rejected[ ]because[ ]it[ ]appears[ ]to[ ]be[ ]spam
                    )
                |has[ ]triggered[ ]a[ ]spam[ ]block
                |may[ ]contain[ ]the[ ]spam[ ]contents
                |failed[ ]several[ ]antispam[ ]checks
                )
            )
        )
    """,
    re.X,
)

_SUSPEND_INDEX = (
    " is currently suspended",
    " temporary locked",
    "boite du destinataire archivee",
    "email account that you tried to reach is disabled",
    "has been suspended",
    "invalid/inactive user",
    "is a deactivated mailbox",  # http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000742
    "mailbox currently suspended",
    "mailbox is frozen",
    "mailbox unavailable or access denied",
    "recipient rejected: temporarily inactive",
    "recipient suspend the service",
    "this account has been disabled or discontinued",
    "this mailbox is disabled",
    "user suspended",  # http://mail.163.com/help/help_spam_16.htm
    "vdelivermail: account is locked email bounced",
)

_SYSTEMERROR_INDEX = (
    "aliasing/forwarding loop broken",
    "can't create user output file",
    "could not load drd for domain",
    "internal error reading data",  # Microsoft
    "internal server error: operation now in progress",  # Microsoft
    "interrupted system call",
    "it encountered an error while being processed",
    "it would create a mail loop",
    "local configuration error",
    "local error in processing",
    "loop was found in the mail exchanger",
    "loops back to myself",
    "queue file write error",
    "mail system configuration error",
    "remote server is misconfigured",
    "server configuration error",
    "service currently unavailable",
    "system config error",
    "temporary local problem",
    "timeout waiting for input",
    "transaction failed",
)

_SYSTEMFULL_INDEX = (
    "mail system full",
    "requested mail action aborted: exceeded storage allocation",  # MS Exchange
)

_TOOMANYCONN_INDEX = (
    "all available ips are at maximum connection limit",  # SendGrid
    "connection rate limit exceeded",
    "exceeds per-domain connection limit for",
    "has exceeded the max emails per hour ",
    "throttling failure: daily message quota exceeded",
    "throttling failure: maximum sending rate exceeded",
    "too many connections",
    "too many connections from your host.",  # Microsoft
    "too many concurrent smtp connections",  # Microsoft
    "too many errors from your ip",  # Free.fr
    "too many recipients",  # ntt docomo
    "too many smtp sessions for this host",  # Sendmail(daemon.c)
    "trop de connexions, ",
    "we have already made numerous attempts to deliver this message",
)

_USERUNKNOWN_REGEX = rx(
    r"""(?>
         [#]5[.]1[.]1[ ]bad[ ]address
        |[<][^ ]+[>][ ]not[ ]found
        |[<][^ ]+[@][^ ]+[>][.][.][.][ ]blocked[ ]by[ ]
        |550[ ]address[ ]invalid
        |5[.]1[.]0[ ]address[ ]rejected[.]
        |account[ ][^ ]+[ ]does[ ]not[ ]exist[ ]at[ ]the[ ]organization
        |adresse[ ]d[ ]au[ ]moins[ ]un[ ]destinataire[ ]invalide[.][ ]invalid[ ]recipient[.][0-9a-z_]+41[68]
        |address[ ](?:does[ ]not[ ]exist|not[ ]present[ ]in[ ]directory|unknown)
        |archived[ ]recipient
        |bad[-_ \t]recipient
        |can[']t[ ]accept[ ]user
        |does[ ]not[ ]exist[.]
        |destination[ ](?:
             addresses[ ]were[ ]unknown
            |server[ ]rejected[ ]recipients
            )
        |email[ ]address[ ](?:does[ ]not[ ]exist|could[ ]not[ ]be[ ]found)
        |invalid[ ](?:
             address
            |mailbox:?
            |mailbox[ ]path|recipient
            )
        |is[ ]not[ ](?:
             a[ ]known[ ]user
            |a[ ]valid[ ]mailbox
            |an[ ]active[ ]address[ ]at[ ]this[ ]host
            )
        |mailbox[ ](?:
             [^ ]+[ ]does[ ]not[ ]exist
            |[^ ]+[@][^ ]+[ ]unavailable
            |does[ ]not[ ]exist
            |invalid
            |is[ ](?:inactive|unavailable)
            |not[ ](?:present|found)
            |unavailable
            )
        |nessun[ ]utente[ ]simile[ ]in[ ]questo[ ]indirizzo
        |no[ ](?:
             [ ][^ ]+[ ]in[ ]name[ ]directory
            |account[ ]by[ ]that[ ]name[ ]here
            |existe[ ](?:dicha[ ]persona|ese[ ]usuario[ ])
            |mail[ ]box[ ]available[ ]for[ ]this[ ]user
            |mailbox[ ](?:
                 by[ ]that[ ]name[ ]is[ ]currently[ ]available
                |found
                )
            |matches[ ]to[ ]nameserver[ ]query
            |such[ ](?:
                 address[ ]here
                |mailbox
                |person[ ]at[ ]this[ ]address
                |recipient
                |user(?:[ ]here)?
                )
            |thank[ ]you[ ]rejected:[ ]account[ ]unavailable:
            |valid[ ]recipients,[ ]bye
            )
        |non[- ]?existent[ ]user
        |not[ ](?:
             a[ ]valid[ ](?:recipient|user[ ]here)
            |a[ ]local[ ]address
            |email[ ]addresses
            )
        |rcpt[ ][<][^ ]+[>][ ]does[ ]not[ ]exist
        |recipient[ ]address[ ]rejected[.][ ][(]in[ ]reply[ ]to[ ]rcpt[ ]to[ ]command[)]
        |recipient[ ](?:
             [^ ]+[ ]was[ ]not[ ]found[ ]in
            |address[ ]rejected:[ ](?:
                 access[ ]denied
                |invalid[ ]user
                |invalid-recipient
                |user[ ][^ ]+[ ]does[ ]not[ ]exist
                |user[ ]unknown[ ]in[ ][^ ]+[ ]table
                |unknown[ ]user
                )
            |does[ ]not[ ]exist(?:[ ]on[ ]this[ ]system)?
            |is[ ]not[ ]local
            |not[ ](?:exist|found|ok)
            |refuses[ ]to[ ]accept[ ]your[ ]mail
            |unknown
            )
        |requested[ ]action[ ]not[ ]taken:[ ]mailbox[ ]unavailable
        |resolver[.]adr[.]recipient notfound
        |said:[ ]550[-\[ ]\]5[.]1[.]1[ ][^ ]+[ ]user[ ]unknown[ ]
        |sorry,[ ](?:
             user[ ]unknown
            |badrcptto
            |no[ ]mailbox[ ]here[ ]by[ ]that[ ]name
            |your[ ]envelope[ ]recipient[ ]has[ ]been[ ]denied
            )
        |that[ ]domain[ ]or[ ]user[ ]isn't[ ]in[ ]my[ ]list[ ]of[ ]allowed[ ]rcpthosts
        |the[ ](?:
             email[ ]account[ ]that[ ]you[ ]tried[ ]to[ ]reach[ ]does[ ]not[ ]exist
            |following[ ]recipients[ ]was[ ]undeliverable
            |user[']s[ ]email[ ]name[ ]is[ ]not[ ]found
            )
        |there[ ]is[ ]no[ ]one[ ]at[ ]this[ ]address
        |this[ ](?:
             address[ ]no[ ]longer[ ]accepts[ ]mail
            |email[ ]address[ ]is[ ]wrong[ ]or[ ]no[ ]longer[ ]valid
            |recipient[ ]is[ ]in[ ]my[ ]badrecipientto[ ]list
            |recipient[ ]is[ ]not[ ]in[ ]my[ ]validrcptto[ ]list
            |spectator[ ]does[ ]not[ ]exist
            |user[ ]doesn[']?t[ ]have[ ]a[ ][^ ]+[ ]account
            )
        |unknown[ ](?:
             e[-]?mail[ ]address
            |local[- ]part
            |mailbox
            |recipient
            |user
            )
        |user[ ](?:
             [^ ]+[ ]was[ ]not[ ]found
            |[^ ]+[ ]does[ ]not[ ]exist
            |does[ ]not[ ]exist
            |missing[ ]home[ ]directory
            |not[ ](?:active|exist|found|known)
            |unknown
            )
        |utilisateur[ ]inconnu[ ]!
        |vdeliver:[ ]invalid[ ]or[ ]unknown[ ]virtual[ ]user
        |your[ ]envelope[ ]recipient[ ]is[ ]in[ ]my[ ]badrcptto[ ]list
        )
    """,
    re.X,
)

_VACATION_INDEX = (
    "i am away on vacation",
    "i am away until",
    "i am out of the office",
    "i will be traveling for work on",
)

_VIRUSDETECTED_INDEX = (
    "it has a potentially executable attachment",
    "the message was rejected because it contains prohibited virus or spam content",
    "this form of attachment has been used by recent viruses or other malware",
    "virus detected",
    "your message was infected with a virus",
)


def _index(table: tuple[str, ...]) -> Callable[[str], bool]:
    return lambda text: contains_any(text, table)


def _regex(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.search(text) is not None


def _rejected(text: str) -> bool:
    if contains_any(text, _REJECTED_ISNOT):
        return False
    return contains_any(text, _REJECTED_INDEX)


def _hostunknown(text: str) -> bool:
    return contains_any(text, _HOSTUNKNOWN_INDEX) or _HOSTUNKNOWN_REGEX.search(text) is not None


def _never(text: str) -> bool:
    return False


# Each reason's text test; the text is lower-cased diagnostic text.
MATCH: dict[str, Callable[[str], bool]] = {
    "blocked": _regex(_BLOCKED_REGEX),
    "contenterror": _index(_CONTENTERROR_INDEX),
    "exceedlimit": _index(_EXCEEDLIMIT_INDEX),
    "expired": _index(_EXPIRED_INDEX),
    "filtered": _index(_FILTERED_INDEX),
    "hasmoved": _index(_HASMOVED_INDEX),
    "hostunknown": _hostunknown,
    "mailboxfull": _index(_MAILBOXFULL_INDEX),
    "mailererror": _regex(_MAILERERROR_REGEX),
    "mesgtoobig": _index(_MESGTOOBIG_INDEX),
    "networkerror": _index(_NETWORKERROR_INDEX),
    "norelaying": _index(_NORELAYING_INDEX),
    "notaccept": _index(_NOTACCEPT_INDEX),
    "onhold": _never,
    "policyviolation": _index(_POLICYVIOLATION_INDEX),
    "rejected": _rejected,
    "securityerror": _regex(_SECURITYERROR_REGEX),
    "spamdetected": _regex(_SPAMDETECTED_REGEX),
    "suspend": _index(_SUSPEND_INDEX),
    "syntaxerror": _never,
    "systemerror": _index(_SYSTEMERROR_INDEX),
    "systemfull": _index(_SYSTEMFULL_INDEX),
    "toomanyconn": _index(_TOOMANYCONN_INDEX),
    "userunknown": _regex(_USERUNKNOWN_REGEX),
    "virusdetected": _index(_VIRUSDETECTED_INDEX),
}

_EARLY_COMMANDS = ("CONN", "EHLO", "HELO", "MAIL", "RCPT")


def is_vacation(text: str) -> bool:
    return contains_any(text, _VACATION_INDEX)


def _named(r: Record) -> str:
    return status_name(r.deliverystatus)


def _true_simple(reason: str, need_status: bool = False, use_name: bool = True) -> Callable[[Record], bool]:
    def test(r: Record) -> bool:
        if need_status and not r.deliverystatus:
            return False
        if r.reason == reason:
            return True
        if use_name and _named(r) == reason:
            return True
        return MATCH[reason](r.diagnosticcode.lower())

    return test


def _true_mesgtoobig(r: Record) -> bool:
    if r.reason == "mesgtoobig":
        return True
    name = _named(r)
    if name == "mesgtoobig":
        return True
    if name == "exceedlimit" or r.deliverystatus == "5.2.3":
        return False
    return MATCH["mesgtoobig"](r.diagnosticcode.lower())


def _true_suspend(r: Record) -> bool:
    if not r.deliverystatus:
        return False
    return r.reason == "suspend" or MATCH["suspend"](r.diagnosticcode.lower())


def _true_hasmoved(r: Record) -> bool:
    return r.reason == "hasmoved" or MATCH["hasmoved"](r.diagnosticcode.lower())


def _true_norelaying(r: Record) -> bool:
    if r.reason in ("securityerror", "systemerror", "undefined"):
        return False
    if r.smtpcommand in ("CONN", "EHLO", "HELO"):
        return False
    return MATCH["norelaying"](r.diagnosticcode.lower())


_USERUNKNOWN_OTHERS = ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept")


def _true_userunknown(r: Record) -> bool:
    if r.reason == "userunknown":
        return True
    name = _named(r)
    if name == "suspend":
        return False
    text = r.diagnosticcode.lower()
    if name == "userunknown":
        return not any(MATCH[other](text) for other in _USERUNKNOWN_OTHERS)
    if r.smtpcommand == "RCPT":
        return MATCH["userunknown"](text)
    return False


def _true_filtered(r: Record) -> bool:
    if r.reason == "filtered":
        return True
    name = _named(r)
    if name == "suspend":
        return False
    text = r.diagnosticcode.lower()
    if name == "filtered":
        return MATCH["userunknown"](text) or MATCH["filtered"](text)
    if r.smtpcommand in _EARLY_COMMANDS:
        return False
    return MATCH["filtered"](text) or MATCH["userunknown"](text)


def _true_rejected(r: Record) -> bool:
    if r.reason == "rejected":
        return True
    name = _named(r) or "undefined"
    if name == "rejected":
        return True
    text = r.diagnosticcode.lower()
    if r.smtpcommand == "MAIL":
        return MATCH["rejected"](text)
    if r.smtpcommand == "DATA":
        return name != "userunknown" and MATCH["rejected"](text)
    if name in ("onhold", "undefined", "securityerror", "systemerror"):
        return MATCH["rejected"](text)
    return False


def _true_hostunknown(r: Record) -> bool:
    if r.reason == "hostunknown":
        return True
    text = r.diagnosticcode.lower()
    if _named(r) == "hostunknown":
        return not MATCH["networkerror"](text)
    return MATCH["hostunknown"](text)


def _true_spamdetected(r: Record) -> bool:
    if not r.deliverystatus:
        return False
    if r.reason == "spamdetected" or _named(r) == "spamdetected":
        return True
    if r.smtpcommand in _EARLY_COMMANDS:
        return False
    return MATCH["spamdetected"](r.diagnosticcode.lower())


# The order matters: the first reason whose test passes wins.
_FIRST_PASS: tuple[tuple[str, Callable[[Record], bool]], ...] = (
    ("mailboxfull", _true_simple("mailboxfull", need_status=True)),
    ("mesgtoobig", _true_mesgtoobig),
    ("exceedlimit", _true_simple("exceedlimit", need_status=True)),
    ("suspend", _true_suspend),
    ("hasmoved", _true_hasmoved),
    ("norelaying", _true_norelaying),
    ("userunknown", _true_userunknown),
    ("filtered", _true_filtered),
    ("rejected", _true_rejected),
    ("hostunknown", _true_hostunknown),
    ("spamdetected", _true_spamdetected),
    ("toomanyconn", _true_simple("toomanyconn")),
    ("blocked", _true_simple("blocked")),
)
_TEXT_PASS = (
    "mailboxfull",
    "spamdetected",
    "policyviolation",
    "virusdetected",
    "norelaying",
    "securityerror",
    "systemerror",
    "networkerror",
    "suspend",
    "expired",
    "contenterror",
    "systemfull",
    "notaccept",
    "mailererror",
)
_SYNTAX_REPLY = rx(r"\A[45]0[0-7]\Z")


def _another(r: Record) -> str:
    if r.reason:
        return r.reason
    reason = status_name(r.deliverystatus)
    trymatch = reason in ("", "expired") or reason in RETRY or r.diagnostictype != "SMTP"
    if not trymatch:
        return reason
    text = r.diagnosticcode.lower()
    for name in _TEXT_PASS:
        if MATCH[name](text):
            return name
    if reason:
        return reason
    head = r.deliverystatus[:3]
    if head in ("5.6", "4.6"):
        return "contenterror"
    if head in ("5.7", "4.7"):
        return "securityerror"
    if r.diagnostictype in ("X-UNIX", "X-POSTFIX"):
        return "mailererror"
    if _SYNTAX_REPLY.match(r.replycode):
        return "syntaxerror"
    if r.action.startswith(("delayed", "expired")):
        return "expired"
    if r.smtpcommand in ("EHLO", "HELO"):
        return "blocked"
    return ""


def classify(r: Record) -> str:
    """The reason for one record, refining a vendor's tentative verdict where allowed."""
    if r.reason and r.reason not in RETRY:
        return r.reason
    if r.deliverystatus.startswith("2."):
        return "delivered"
    reason = ""
    if r.diagnostictype in ("SMTP", ""):
        reason = next((name for name, test in _FIRST_PASS if test(r)), "")
    if reason:
        return reason
    reason = _another(r)
    if reason == "undefined":
        reason = ""
    if not reason and r.action == "delayed":
        reason = "expired"
    if reason:
        return reason
    if is_vacation(r.diagnosticcode.lower()):
        return "vacation"
    return "onhold" if r.diagnosticcode else "undefined"
