[       CREATED] token=7362f01e remid=0 locid=0 saddr4=10.0.1.2 daddr4=10.0.1.1 sport=45629 dport=10100
[   ESTABLISHED] token=7362f01e remid=0 locid=0 saddr4=10.0.1.2 daddr4=10.0.1.1 sport=45629 dport=10100
[SF_ESTABLISHED] token=7362f01e remid=1 locid=5 saddr4=10.0.2.2 daddr4=10.0.2.1 sport=46331 dport=10100 backup=0
[     SF_CLOSED] token=7362f01e remid=1 locid=5 saddr4=10.0.2.2 daddr4=10.0.2.1 sport=46331 dport=10100 backup=0
[     SF_CLOSED] token=7362f01e remid=0 locid=6 saddr4=10.0.2.3 daddr4=10.0.2.1 sport=33169 dport=5999 backup=0 error=111
[SF_ESTABLISHED] token=7362f01e remid=1 locid=6 saddr4=10.0.2.3 daddr4=10.0.2.1 sport=53517 dport=10100 backup=0
[     SF_CLOSED] token=7362f01e remid=1 locid=6 saddr4=10.0.2.3 daddr4=10.0.2.1 sport=53517 dport=10100 backup=0
[        CLOSED] token=7362f01e
