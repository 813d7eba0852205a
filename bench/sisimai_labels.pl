#!/usr/bin/perl
# Labels bounce messages with the reference parser (Debian: apt-get install libsisimai-perl),
# in the labels.jsonl format bench/bounce_quality.py reads. Development aid only: digest never
# runs Perl. To measure on the part of sisimai/set-of-emails that is not in the dev set:
#
#   mkdir -p heldout/emails && cp set-of-emails/maildir/bsd/*.eml heldout/emails/
#   (cd heldout/emails && rm -f $(ls ../../shared/data/bounces/emails))
#   perl bench/sisimai_labels.pl heldout/emails/*.eml > heldout/labels.jsonl
#   python bench/bounce_quality.py heldout
use strict;
use warnings;
use Sisimai;
use JSON::PP;

my $json = JSON::PP->new->canonical(1);
for my $path (@ARGV) {
    my $found = Sisimai->make($path, delivered => 1, vacation => 1) || [];
    my @bounces;
    for my $e (@$found) {
        my $reason = $e->reason;
        next if $reason eq 'delivered' || $reason eq 'vacation';
        my $kind = $reason eq 'feedback' ? 'complaint' : ($e->softbounce == 1 ? 'soft' : 'hard');
        my $status = $e->deliverystatus;
        $status = undef if !defined $status || $status eq '';
        push @bounces, {
            recipient => lc($e->recipient->address), kind => $kind, reason => $reason, status => $status,
        };
    }
    (my $name = $path) =~ s{.*/}{};
    print $json->encode({ file => $name, bounces => \@bounces }), "\n";
}
