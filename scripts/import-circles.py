#!/usr/bin/env python3
# Import circles between the top-level modules of each crate: the graph of `crate::m`
# references (comments and `#[cfg(test)] mod tests` left out, names re-exported by lib.rs
# resolved to their module), and its strongly connected components of more than one
# module. Usage: scripts/import-circles.py [workspace root, default .]
# Crates cannot form circles (cargo refuses them); this checks the modules inside.
import os,re,sys,collections
root=sys.argv[1] if len(sys.argv) > 1 else '.'
for crate in sorted(os.listdir(root+'/crates')):
    src=f'{root}/crates/{crate}/src'
    if not os.path.isdir(src): continue
    g=collections.defaultdict(set)
    for dp,_,fs in os.walk(src):
        for f in fs:
            if not f.endswith('.rs'): continue
            rel=os.path.relpath(os.path.join(dp,f),src)
            top=rel.split(os.sep)[0].removesuffix('.rs')
            if top in ('lib','main'): continue
            text=open(os.path.join(dp,f)).read()
            text=re.split(r"#\[cfg\(test\)\]\s*mod tests",text)[0]
            text=re.sub(r"//.*","",text)
            for m in re.finditer(r'crate::(\w+)',text):
                if m.group(1)!=top: g[top].add(m.group(1))
            for m in re.finditer(r'use crate::\{([^}]*)\}',text):
                for n in re.findall(r'(?:^|,)\s*(\w+)',m.group(1)):
                    if n!=top: g[top].add(n)
    # lib.rs re-exports make crate::Name resolve to a module; map re-exported names
    lib=os.path.join(src,'lib.rs') if os.path.exists(os.path.join(src,'lib.rs')) else os.path.join(src,'main.rs')
    names={}
    if os.path.exists(lib):
        lt=open(lib).read()
        for m in re.finditer(r'pub use (\w+)::(\{[^}]*\}|\w+)',lt,re.S):
            mod=m.group(1)
            for n in re.findall(r'\w+',m.group(2)): names.setdefault(n,mod)
    mods=set(g)|{x for v in g.values() for x in v}
    G={a:{names.get(b,b) for b in bs if names.get(b,b)!=a} for a,bs in g.items()}
    # Tarjan
    index={};low={};st=[];on=set();out=[];i=[0]
    def sc(v):
        index[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
        for w in G.get(v,()):
            if w not in index: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],index[w])
        if low[v]==index[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v: break
            if len(comp)>1: out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in list(G):
        if v not in index: sc(v)
    print(crate, 'circles:', out if out else 'none')
