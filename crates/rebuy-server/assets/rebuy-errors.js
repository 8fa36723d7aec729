// Runs before the chart library so that its load errors are recorded too; the browser
// tests read window.rebuyErrors (uncaught errors, failed loads, console errors and
// anything the Content-Security-Policy refused).
window.rebuyErrors=[];
window.addEventListener('error',function(e){
  var what=e.message||('could not load '+((e.target&&(e.target.src||e.target.href))||'a resource'));
  window.rebuyErrors.push(String(what));
},true);
(function(){var original=console.error;console.error=function(){
  window.rebuyErrors.push(Array.prototype.join.call(arguments,' '));original.apply(console,arguments);};})();
document.addEventListener('securitypolicyviolation',function(e){
  window.rebuyErrors.push('Content-Security-Policy refused '+(e.blockedURI||'an inline '+e.effectiveDirective)+' ('+e.effectiveDirective+')');
});
